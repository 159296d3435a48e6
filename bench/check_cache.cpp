// Daemon re-check cost: check() of an unchanged ruleset with a warm match
// cache vs the first check(), measured alternately in one process. Reads the
// legacy IPv4 rules of the current network namespace (run inside one).
// usage: check_cache ALLOWLIST_DIR [--mdwe]
// --mdwe first forbids writable+executable memory for this process (what the
// unit's MemoryDenyWriteExecute=yes does), so PCRE2 cannot JIT: compare.
#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "allowlist/allowlist.h"
#include "check/check.h"
#include "rules/legacy/reader.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s ALLOWLIST_DIR [--mdwe]\n", argv[0]);
    return 2;
  }
  const bool mdwe = argc > 2 && std::string(argv[2]) == "--mdwe";
  if (mdwe && prctl(65 /* PR_SET_MDWE */, 1 /* PR_MDWE_REFUSE_EXEC_GAIN */, 0L, 0L, 0L) != 0) {
    std::perror("prctl(PR_SET_MDWE)");
    return 2;
  }
  aim::Allowlist list = aim::Allowlist::load(argv[1]);
  bool jit = true;
  for (auto table : aim::kTableOrder)
    for (const auto& p : list.table_patterns(table)) jit = jit && p.jit();
  aim::LegacyReader reader;
  aim::RuleSet set = reader.read(aim::Family::V4);
  if (!set.complete()) {
    std::fprintf(stderr, "read failed: %s\n", set.error.c_str());
    return 2;
  }
  using clock = std::chrono::steady_clock;
  std::vector<double> cold, warm;
  for (int i = 0; i < 5; ++i) {
    aim::MatchCache cache;
    auto t0 = clock::now();
    aim::Report first = aim::check({{&set, &list}}, &cache);
    auto t1 = clock::now();
    aim::Report again = aim::check({{&set, &list}}, &cache);
    auto t2 = clock::now();
    if (again.unexpected.size() != first.unexpected.size()) return 3;
    cold.push_back(std::chrono::duration<double>(t1 - t0).count());
    warm.push_back(std::chrono::duration<double>(t2 - t1).count());
  }
  std::sort(cold.begin(), cold.end());
  std::sort(warm.begin(), warm.end());
  std::printf(
      "match only, %zu lines, %zu patterns, JIT %s%s: first check %.3f s, re-check with "
      "cache %.3f s = ratio %.2f (median of 5)\n",
      set.rule_count() + set.chain_count(), list.pattern_count(), jit ? "on" : "off",
      mdwe ? " (MemoryDenyWriteExecute)" : "", cold[2], warm[2], warm[2] / cold[2]);
  return 0;
}
