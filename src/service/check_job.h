#pragma once
// The check thread's part of the service: the state only checks touch (the
// allowlists, the match cache, host-route repair, the BPF block counter) and
// the one job every check runs. Everything here runs on the `checks`
// LoopWorker, one check after another; the loop thread gets a CheckJobResult
// back and decides what it means (the Reconciler).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "check/check_action.h"
#include "log/logger.h"
#include "rules/reader.h"
#include "service/allowlist_source.h"
#include "service/blocked_rule_counter.h"
#include "service/host_route_repair.h"
#include "service/service_options.h"

namespace aim {

// Matching gives up after this long and the check ends `unknown` (reads have
// their own timeouts). Thousands of patterns that each hit their match limit
// are what makes matching slow; a healthy check takes well under a second.
// /healthz allows a check this much beyond its interval (service/health.h).
inline constexpr std::chrono::seconds kMatchBudget{60};

// What route repair and the BPF block counter found during a check.
struct CheckCompanions {
  std::vector<LogLine> logs;
  uint64_t new_blocks = 0;
  std::optional<uint64_t> last_good_reading;  // --checkMap
};

struct CheckJobResult {
  CheckRun run;
  CheckCompanions companions;
  AllowlistSource::Refresh allowlists;  // reloaded: watch the directories again
};

class CheckJob {
 public:
  // `readers` and `stopping` outlive the job; a set `stopping` ends matching
  // (and reads, through their abort hook) early, as `unknown`.
  CheckJob(const ServiceOptions& options, std::vector<RuleReader*> readers, Logger& log,
           const std::atomic<bool>& stopping);

  // One check: allowlists refreshed (re-read on `reload` or when they
  // changed), every rule read and matched, route repair and the counter.
  // `full_read`: the readers re-read everything, whatever they kept.
  CheckJobResult run(bool reload, bool full_read);
  // What a check that threw `what` stands for: `unknown`, never `clean`.
  static CheckJobResult failed(const std::string& what);

  // Whether the allowlist directories differ from what the last check used.
  bool allowlists_changed() const { return lists_.changed(); }

 private:
  CheckCompanions run_companions();

  bool ipv6_, install_routes_, check_map_;
  std::vector<RuleReader*> readers_;
  Logger& log_;
  const std::atomic<bool>& stopping_;
  AllowlistSource lists_;
  MatchCache cache_;
  HostRouteRepair routes_;
  BlockedRuleCounter blocks_;
};

}  // namespace aim
