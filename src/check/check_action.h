#pragma once
// The one check: read every rule, match it against the allowlists. The
// `check` command runs it once; the service runs it on every trigger. What
// the verdict asks of the cluster is then the Reconciler's to decide.
#include <chrono>
#include <string>
#include <vector>

#include "allowlist/allowlist.h"
#include "check/check.h"
#include "rules/reader.h"

namespace aim {

struct CheckSetup {
  bool ipv6 = false;
  const Allowlist* ipv4_allowlist = nullptr;
  const Allowlist* ipv6_allowlist = nullptr;  // used when ipv6
  MatchCache* cache = nullptr;                // the service keeps one between checks
  CheckObserver* observer = nullptr;          // -v 4
  CheckLimits limits;
};

struct CheckRun {
  std::vector<RuleSet> sets;  // what was read (for -v 2 statistics)
  Report report;
  std::chrono::steady_clock::duration took{};
  // The CPU it cost, helpers included (process_tree_cpu_seconds; other
  // threads' time meanwhile too: the service's cost, which pacing bounds).
  double cpu_seconds = 0;
};

CheckRun run_check(const std::vector<RuleReader*>& readers, const CheckSetup& setup);

// A check that could not finish because of `what` (an exception's text): an
// `unknown` verdict carrying it, never `clean`, so the label is never set
// "false" on a check that did not run.
CheckRun failed_check(const std::string& what);

}  // namespace aim
