#include "service/blocked_rule_counter.h"

namespace aim {

BlockedRuleCounter::Reading BlockedRuleCounter::read() {
  Reading out;
  const BlockTracker::Step step = tracker_.observe(read_(path_));
  if (!step.log_error.empty())
    out.logs.push_back({0, LOG_WARNING, step.log_error + "; keeping the previous count", {}});
  if (step.recovered)
    out.logs.push_back({0, LOG_INFO, "the BPF block counter " + path_ + " is readable again", {}});
  out.new_blocks = step.new_blocks;
  out.last_good = tracker_.last_good_reading();
  return out;
}

}  // namespace aim
