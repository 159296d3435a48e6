#include "reconcile/check_pacer.h"

#include <algorithm>
#include <cmath>

namespace aim {

void CheckPacer::changed(Clock::time_point now, const std::string& what) {
  if (!pending_since_) {
    pending_since_ = now;
    first_ = what;
  }
  ++changes_;
}

void CheckPacer::check_started(Clock::time_point now, bool for_changes) {
  if (for_changes) last_start_ = now;
  pending_since_.reset();
  first_.clear();
  changes_ = 0;
}

CheckPacer::Clock::duration CheckPacer::spacing_by_cost() const {
  return Clock::duration(std::llround(static_cast<double>(last_cost_.count()) / max_duty_cycle_));
}

CheckPacer::Clock::duration CheckPacer::spacing() const {
  return std::max({floor_, ceiling_, spacing_by_cost()});
}

std::optional<CheckPacer::Clock::time_point> CheckPacer::due() const {
  if (!pending_since_) return std::nullopt;
  Clock::time_point at = *pending_since_ + settle_;
  if (last_start_) at = std::max(at, *last_start_ + spacing());
  return at;
}

}  // namespace aim
