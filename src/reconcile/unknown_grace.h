#pragma once
// When a lasting `unknown` verdict becomes the safe label "true". Pure.
//
// `unknown` never sends "false". But leaving the label as it was would keep
// an old "false" for as long as a table stays unreadable, while eBPF host
// routing bypasses whatever that table holds. So an `unknown` that persists
// for at least `checks` consecutive checks AND at least `duration` sends
// "true": a transient error (one failed read, a ruleset changing mid-read)
// never flaps the label, a lasting one never hides rules.
#include <chrono>
#include <optional>
#include <string>

#include "check/check.h"

namespace aim {

struct UnknownGracePolicy {
  int checks = 2;
  std::chrono::seconds duration{60};
};

struct LabelDecision {
  // The label to send: nullopt sends nothing (the label is left as it is).
  std::optional<bool> value;
  // Set when `value` is "true" because `unknown` lasted past the grace.
  bool unknown_too_long = false;
  std::chrono::seconds unknown_for{0};
};

class UnknownGrace {
 public:
  using Clock = std::chrono::steady_clock;
  explicit UnknownGrace(UnknownGracePolicy policy = {}) : policy_(policy) {}

  // The label for a check that ended at `now` with `verdict`.
  LabelDecision decide(Verdict verdict, Clock::time_point now);
  // While `unknown` lasts but has not yet escalated: how long until it may
  // (the service checks again by then instead of a whole interval later).
  std::optional<Clock::duration> time_to_escalation(Clock::time_point now) const;

  const UnknownGracePolicy& policy() const { return policy_; }

 private:
  UnknownGracePolicy policy_;
  std::optional<Clock::time_point> unknown_since_;
  int unknown_checks_ = 0;
};

// The operator-facing reason for an escalated decision.
std::string unknown_too_long_message(const LabelDecision& decision, const Report& report);

}  // namespace aim
