#include "service/health.h"

#include <algorithm>

#include "util/text.h"

namespace aim {
namespace {

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

HealthBounds health_bounds(double interval_seconds, std::chrono::seconds longest_check) {
  HealthBounds b;
  const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(interval_seconds));
  b.check =
      std::max<std::chrono::steady_clock::duration>(2 * interval, kMinCheckSpacing) + longest_check;
  return b;
}

Health decide_health(std::chrono::steady_clock::time_point now,
                     std::chrono::steady_clock::time_point last_loop_turn,
                     std::chrono::steady_clock::time_point last_check, const HealthBounds& bounds) {
  // A stamp from the future (it cannot be, with one steady clock) counts as
  // now: never a negative age read as fresh by accident of sign.
  const auto loop_age = std::max(now - last_loop_turn, std::chrono::steady_clock::duration{});
  const auto check_age = std::max(now - last_check, std::chrono::steady_clock::duration{});
  if (loop_age > bounds.loop)
    return {false, "the event loop has not turned for " + format_seconds(seconds(loop_age)) +
                       " (bound " + format_seconds(seconds(bounds.loop)) + ")"};
  if (check_age > bounds.check)
    return {false, "no check has finished for " + format_seconds(seconds(check_age)) + " (bound " +
                       format_seconds(seconds(bounds.check)) + ")"};
  return {true, "ok"};
}

}  // namespace aim
