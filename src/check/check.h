#pragma once
// The decision: which rules no allowlist pattern accounts for, and whether
// the node is clean. Pure: knows RuleSets and Allowlists, nothing of the
// kernel, files or HTTP.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "allowlist/allowlist.h"
#include "rules/ruleset.h"

namespace aim {

enum class Verdict { Clean, Unexpected, Unknown };
std::string_view verdict_name(Verdict v);  // "clean" / "unexpected" / "unknown"

struct CheckInput {
  const RuleSet* rules;
  const Allowlist* allowlist;  // the allowlist of rules->family
};

struct UnexpectedRule {
  std::optional<Family> family;  // none for native nftables
  Backend backend;
  std::string table;
  std::string chain;
  std::string rule;
};

struct TableResult {
  std::optional<Family> family;  // none for native nftables
  Backend backend;
  std::string table;
  size_t rules = 0;  // lines matched: -P/-N lines and -A rules
  size_t unexpected = 0;
  std::string error;  // empty when the table was read
};

// A pattern that gave up (match/depth/heap limit) on at least one rule.
struct PatternLimitHit {
  PatternSource source;
  std::string pattern;
  size_t rules = 0;
};

struct Report {
  Verdict verdict = Verdict::Unknown;
  std::vector<UnexpectedRule> unexpected;
  std::vector<TableResult> tables;
  // Read failures: "legacy ipv4 table nat: ..." or "legacy ipv6: ...".
  std::vector<std::string> errors;
  std::vector<PatternLimitHit> limit_hits;
  size_t lines_checked = 0;
  size_t lines_from_cache = 0;
};

// Told about every allowed line and the pattern that allowed it (for -v 4).
class CheckObserver {
 public:
  virtual ~CheckObserver() = default;
  virtual void allowed(const RuleSet& set, std::string_view table, std::string_view chain,
                       std::string_view line, const Pattern& pattern) = 0;
};

// Remembers lines already allowed under an allowlist generation, so a daemon
// re-checking an unchanged ruleset matches only what changed. Only "allowed"
// is remembered (a 128-bit hash of family, backend, table, generation and
// line); unexpected lines are always matched again. Chains every line of
// which was allowed are remembered too, by their id (ruleset.h: Chain::id,
// unique to one making of the chain) and the allowlist generation, so a
// chain a kept set hands on again costs nothing, not even hashing its lines.
// Entries not seen in the latest check are dropped, so it holds at most one
// check's worth.
class MatchCache {
 public:
  struct Key {
    uint64_t a, b;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return static_cast<size_t>(k.a ^ (k.b * 31)); }
  };
  void start_check() { ++check_; }
  // True if `k` was allowed before; marks it as seen in this check.
  bool contains(const Key& k) {
    auto it = allowed_.find(k);
    if (it == allowed_.end()) return false;
    it->second = check_;
    return true;
  }
  void remember(const Key& k) { allowed_[k] = check_; }
  // True if every line of the chain made as `id` was allowed under
  // `generation`; marks it as seen in this check.
  bool chain_allowed(uint64_t id, uint64_t generation) {
    auto it = chains_.find(Key{id, generation});
    if (it == chains_.end()) return false;
    it->second = check_;
    return true;
  }
  void remember_chain(uint64_t id, uint64_t generation) { chains_[Key{id, generation}] = check_; }
  // Drops what the latest check did not see (removed rules, old allowlists).
  void finish_check();
  size_t size() const { return allowed_.size(); }

 private:
  // Key -> number of the last check that saw it; updated in place so an
  // unchanged ruleset costs lookups only, no allocation.
  std::unordered_map<Key, uint32_t, KeyHash> allowed_;
  std::unordered_map<Key, uint32_t, KeyHash> chains_;  // {chain id, generation}
  uint32_t check_ = 0;
};

// Pairs every set with its family's allowlist.
std::vector<CheckInput> pair_with_allowlists(const std::vector<RuleSet>& sets,
                                             const Allowlist& ipv4, const Allowlist& ipv6);

// Bounds on one check: a deadline (a budget for matching) and a stop request
// (the service is stopping). Either ends matching early with the verdict
// `unknown` (unless an unexpected rule was already found).
struct CheckLimits {
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  const std::atomic<bool>* stop = nullptr;
};

// The read error of a check that found no table in any backend and family.
inline constexpr std::string_view kNoTablesError =
    "no netfilter table was found in any backend or family: a node always has some (the "
    "kubelet's, Cilium's), so this process is probably not in the host's network namespace "
    "(run it with host networking) or cannot see the tables (it needs CAP_NET_ADMIN and "
    "CAP_NET_RAW)";

// Checks every line of every input. Verdict: `unexpected` if any line matches
// no pattern; otherwise `clean` only if every set and table was read;
// otherwise `unknown`. No table at all is `unknown` too (kNoTablesError).
Report check(const std::vector<CheckInput>& inputs, MatchCache* cache = nullptr,
             CheckObserver* observer = nullptr, const CheckLimits& limits = {});

}  // namespace aim
