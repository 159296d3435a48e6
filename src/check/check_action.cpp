#include "check/check_action.h"

#include <algorithm>

#include "util/process_cpu.h"

namespace aim {

CheckRun run_check(const std::vector<RuleReader*>& readers, const CheckSetup& setup) {
  const auto started = std::chrono::steady_clock::now();
  const double cpu_before = process_tree_cpu_seconds();
  std::vector<Family> families{Family::V4};
  if (setup.ipv6) families.push_back(Family::V6);
  CheckRun run;
  run.sets = read_all(readers, families);
  static const Allowlist kEmpty;
  const std::vector<CheckInput> inputs =
      pair_with_allowlists(run.sets, setup.ipv4_allowlist ? *setup.ipv4_allowlist : kEmpty,
                           setup.ipv6 && setup.ipv6_allowlist ? *setup.ipv6_allowlist : kEmpty);
  // Every line is matched (and shown) when observed: no cache then.
  run.report = check(inputs, setup.observer ? nullptr : setup.cache, setup.observer, setup.limits);
  run.took = std::chrono::steady_clock::now() - started;
  run.cpu_seconds = std::max(0.0, process_tree_cpu_seconds() - cpu_before);
  return run;
}

CheckRun failed_check(const std::string& what) {
  CheckRun run;
  run.report.verdict = Verdict::Unknown;
  run.report.errors.push_back("the check failed: " + what +
                              " (an internal error; the next check tries again)");
  return run;
}

}  // namespace aim
