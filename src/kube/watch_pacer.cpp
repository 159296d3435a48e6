#include "kube/watch_pacer.h"

namespace aim {
namespace {

std::string minutes_text(std::chrono::milliseconds d) {
  const auto m = std::chrono::duration_cast<std::chrono::minutes>(d).count();
  if (m >= 1) return std::to_string(m) + (m == 1 ? " minute" : " minutes");
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

}  // namespace

WatchPacer::WatchPacer(WatchPacing pacing)
    : pacing_(pacing), faults_(pacing.faults), refusals_(pacing.refusals) {}

std::chrono::seconds WatchPacer::watch_timeout(double random01) const {
  return std::chrono::duration_cast<std::chrono::seconds>(
      spread_period(pacing_.server_timeout, 1.0, random01));
}

WatchPacer::Step WatchPacer::set_health(Step step, bool healthy, const std::string& why) {
  if (healthy_ == healthy) return step;
  healthy_ = healthy;
  step.health = healthy;
  step.why = why;
  return step;
}

WatchPacer::Step WatchPacer::opened(Clock::time_point) {
  ever_open_ = true;
  failures_ = 0;
  failing_since_.reset();
  refused_since_.reset();
  no_grant_ = false;
  return set_health({}, true, "");
}

void WatchPacer::worked() {
  faults_.reset();
  refusals_.reset();
}

WatchPacer::Step WatchPacer::failed(Fault fault, const std::string& why, Clock::time_point now,
                                    double random01) {
  Step step;
  ++failures_;
  if (!failing_since_) failing_since_ = now;
  std::string health_why = why;
  if (fault == Fault::Refused) {
    const bool first = !refused_since_;
    if (first) refused_since_ = now;
    if (now - *refused_since_ >= pacing_.no_grant_after) {
      // Refused for minutes: not a starting server. Said (as the watch
      // lost), then asked again now and then (a grant may be added).
      step.wait = spread_period(pacing_.refused_retry, 0.5, random01);
      health_why = why + " (refused for " +
                   minutes_text(std::chrono::duration_cast<std::chrono::milliseconds>(
                       now - *refused_since_)) +
                   ": counted as no grant; asking again about every " +
                   minutes_text(pacing_.refused_retry) + ")";
      // Said when it starts (the watch may have been reported lost already,
      // for the same refusal, minutes ago).
      if (!no_grant_) step.say = health_why;
      no_grant_ = true;
      return set_health(step, false, health_why);
    }
    step.wait = refusals_.next(random01);
    if (first)
      step.say = why +
                 "; the API server refused: it may still be starting; retrying with "
                 "back-off (counted as no grant if it lasts " +
                 minutes_text(pacing_.no_grant_after) + ")";
  } else {
    refused_since_.reset();
    step.wait = faults_.next(random01);
  }
  const bool lost = failures_ >= pacing_.failures_before_lost &&
                    (!ever_open_ || now - *failing_since_ >= pacing_.lost_after);
  if (lost) return set_health(step, false, health_why);
  return step;
}

}  // namespace aim
