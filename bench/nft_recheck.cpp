// What a re-check costs after one kube-proxy churn step, full read vs delta
// (the kept helper sends only the changed chains, the reader splices them
// in), measured alternately in one process, in the current network
// namespace (bench/nft_recheck.sh loads it). Each step runs CHURN_COMMAND K
// (one service added or removed, as bench/rule_change.sh's churn does),
// then reads ipv4 with the service's reader (one kept helper) and matches
// the set against the allowlist with the service's match cache. CPU is the
// process tree's (this process and its helper), split into the read (helper
// + parse/splice) and the match.
// usage: nft_recheck ALLOWLIST_DIR STEPS CHURN_COMMAND
// prints one line per mode: MODE STEPS READ_CPU_MEDIAN (OF IT THIS PROCESS'S) MATCH_CPU_MEDIAN
//   TOTAL_CPU_MEDIAN TOTAL_CPU_MAX CHANGED_CHAINS_MEDIAN LINES_MATCHED_MEDIAN
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "allowlist/allowlist.h"
#include "check/check.h"
#include "rules/jobs/child_jobs.h"
#include "rules/nft/reader.h"
#include "util/process_cpu.h"

namespace {

double self_cpu_seconds() {
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  return static_cast<double>(self.ru_utime.tv_sec + self.ru_stime.tv_sec) +
         static_cast<double>(self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6;
}

struct Step {
  double read = 0, read_self = 0, match = 0;
  size_t changed = 0, matched = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  // The reader's helper is this program run again.
  if (argc >= 2 && std::string_view(argv[1]) == aim::kChildJobFlag)
    return aim::child_job_main(std::vector<std::string>(argv + 2, argv + argc));
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s ALLOWLIST_DIR STEPS CHURN_COMMAND\n", argv[0]);
    return 2;
  }
  aim::Allowlist list = aim::Allowlist::load(argv[1]);
  const int steps = std::atoi(argv[2]);
  const std::string churn = argv[3];
  aim::NftReader reader;
  reader.keep_helpers_between_reads();
  aim::MatchCache cache;
  auto recheck = [&](Step& step) -> bool {
    const double c0 = aim::process_tree_cpu_seconds(), s0 = self_cpu_seconds();
    aim::RuleSet set = reader.read(aim::Family::V4);
    const double c1 = aim::process_tree_cpu_seconds(), s1 = self_cpu_seconds();
    if (!set.complete()) {
      std::fprintf(stderr, "read incomplete: %s\n", set.error.c_str());
      return false;
    }
    if (std::getenv("NFT_RECHECK_VERBOSE"))
      for (const std::string& note : set.stats.notes)
        std::fprintf(stderr, "note: %s\n", note.c_str());
    aim::Report report = aim::check({{&set, &list}}, &cache);
    const double c2 = aim::process_tree_cpu_seconds();
    if (report.verdict != aim::Verdict::Clean) {
      std::fprintf(stderr, "the ruleset is not clean against the allowlist\n");
      return false;
    }
    step = {c1 - c0, s1 - s0, c2 - c1, set.stats.from_changes ? set.stats.changed_chains : 0,
            report.lines_checked - report.lines_from_cache};
    return true;
  };
  Step warm;
  if (!recheck(warm)) return 1;  // the first read and match: everything
  std::vector<Step> full, delta;
  for (int k = 0; k < 2 * steps; ++k) {
    const std::string command = churn + " " + std::to_string(k);
    if (std::system(command.c_str()) != 0) {
      std::fprintf(stderr, "%s failed\n", command.c_str());
      return 1;
    }
    // Alternately: a full read (what --interval asks) and a delta.
    // NFT_RECHECK_ONLY=delta: deltas only (to profile them alone).
    const char* only = std::getenv("NFT_RECHECK_ONLY");
    const bool whole = k % 2 == 0 && !(only && std::string_view(only) == "delta");
    if (whole) reader.forget_kept();
    Step step;
    if (!recheck(step)) return 1;
    (whole ? full : delta).push_back(step);
  }
  for (auto& [name, runs] : {std::pair{"full", &full}, std::pair{"delta", &delta}}) {
    if (runs->empty()) continue;
    std::vector<double> read, read_self, match, total, changed, matched;
    for (const Step& s : *runs) {
      read.push_back(s.read);
      read_self.push_back(s.read_self);
      match.push_back(s.match);
      total.push_back(s.read + s.match);
      changed.push_back(static_cast<double>(s.changed));
      matched.push_back(static_cast<double>(s.matched));
    }
    std::printf("%s %zu %.4f %.4f %.4f %.4f %.4f %.0f %.0f\n", name, runs->size(), median(read),
                median(read_self), median(match), median(total),
                *std::max_element(total.begin(), total.end()), median(changed), median(matched));
  }
  return 0;
}
