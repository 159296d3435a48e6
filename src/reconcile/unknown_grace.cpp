#include "reconcile/unknown_grace.h"

namespace aim {

LabelDecision UnknownGrace::decide(Verdict verdict, Clock::time_point now) {
  LabelDecision d;
  if (verdict != Verdict::Unknown) {
    unknown_since_.reset();
    unknown_checks_ = 0;
    d.value = verdict == Verdict::Unexpected;
    return d;
  }
  if (!unknown_since_) unknown_since_ = now;
  ++unknown_checks_;
  d.unknown_for = std::chrono::duration_cast<std::chrono::seconds>(now - *unknown_since_);
  if (unknown_checks_ >= policy_.checks && now - *unknown_since_ >= policy_.duration) {
    d.value = true;
    d.unknown_too_long = true;
  }
  return d;
}

std::optional<UnknownGrace::Clock::duration> UnknownGrace::time_to_escalation(
    Clock::time_point now) const {
  if (!unknown_since_) return std::nullopt;
  const Clock::time_point due = *unknown_since_ + policy_.duration;
  if (unknown_checks_ >= policy_.checks && now >= due) return std::nullopt;  // escalated
  return due > now ? due - now : Clock::duration::zero();
}

std::string unknown_too_long_message(const LabelDecision& decision, const Report& report) {
  std::string first = report.errors.empty() ? std::string("unknown") : report.errors.front();
  if (first.size() > 300) first = first.substr(0, 300) + "...";
  return "rules could not be read for " + std::to_string(decision.unknown_for.count()) + " s (" +
         first + "): labelling true, the safe value, until a check reads every table again";
}

}  // namespace aim
