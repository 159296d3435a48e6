#include "check/check.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <map>

#include "allowlist/go_regex.h"

namespace aim {
namespace {

// A fast 64-bit hash (eight bytes a step, then a full avalanche). Not
// cryptographic: the cache only has to tell apart the rules of one node.
uint64_t mix_hash(std::string_view data, uint64_t seed) {
  constexpr uint64_t k1 = 0x9e3779b97f4a7c15ULL, k2 = 0xc2b2ae3d27d4eb4fULL;
  uint64_t h = seed ^ (data.size() * k1);
  size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, data.data() + i, 8);
    h = (std::rotl(h ^ (w * k2), 31)) * k1;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, data.data() + i, data.size() - i);
  h = (std::rotl(h ^ (tail * k2), 31)) * k1;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

// What a cached decision depends on besides the line: where it was read and
// which allowlist decided it.
uint64_t table_seed(const RuleSet& set, std::string_view table, uint64_t generation) {
  std::string context;
  context += set.family == Family::V6 ? '6' : '4';
  context += backend_name(set.backend);
  context += '\0';
  context += std::to_string(generation);
  context += '\0';
  context += table;
  return mix_hash(context, 0x5bd1e995ULL);
}

// 128 bits from two unrelated hash functions: a false "already allowed"
// needs both to collide at once.
MatchCache::Key cache_key(uint64_t seed, std::string_view line) {
  return {mix_hash(line, seed),
          std::hash<std::string_view>{}(line) ^ (seed * 0x2545f4914f6cdd1dULL)};
}

// Patterns for one table: the table's own, then global (upstream's order;
// any order gives the same answer, as a line is allowed if any pattern
// matches). Tried most-recently-matched first: neighbouring rules (one chain,
// one service) keep matching the same few patterns.
// Tells a long match to give up: polled before every pattern tried (one line
// against thousands of patterns that each hit their match limit can take
// seconds), reading the clock only every 64 polls.
class Interrupt {
 public:
  explicit Interrupt(const CheckLimits& limits) : limits_(limits) {}
  bool now() {
    if (fired_) return true;
    if (limits_.stop && limits_.stop->load(std::memory_order_relaxed)) {
      fired_ = true;
      reason_ = "the check was stopped (the service is stopping)";
    } else if ((++polls_ & 63) == 0 && std::chrono::steady_clock::now() >= limits_.deadline) {
      fired_ = true;
      reason_ = "matching overran its time budget";
    }
    return fired_;
  }
  bool fired() const { return fired_; }
  const std::string& reason() const { return reason_; }

 private:
  const CheckLimits& limits_;
  uint32_t polls_ = 0;
  bool fired_ = false;
  std::string reason_;
};

class TableMatcher {
 public:
  TableMatcher(const Allowlist& list, Backend backend, std::string_view table) {
    if (backend == Backend::Native) {
      for (const Pattern& p : list.nftables_patterns()) order_.push_back(&p);
      return;
    }
    for (const Pattern& p : list.table_patterns(table)) order_.push_back(&p);
    for (const Pattern& p : list.global_patterns()) order_.push_back(&p);
  }

  // The pattern that allows `raw_line`, or nullptr. Limit hits are recorded.
  const Pattern* find(std::string_view raw_line, std::map<const Pattern*, size_t>& limit_hits,
                      Interrupt& interrupt) {
    if (order_.empty()) return nullptr;
    const std::string_view line = as_go_text(raw_line, buffer_);
    for (size_t k = 0; k < order_.size(); ++k) {
      if (interrupt.now()) return nullptr;
      const Pattern* p = order_[k];
      switch (p->search_go_text(line)) {
        case MatchResult::Match:
          std::rotate(order_.begin(), order_.begin() + k, order_.begin() + k + 1);
          return p;
        case MatchResult::LimitHit:
          ++limit_hits[p];
          break;
        case MatchResult::NoMatch:
          break;
      }
    }
    return nullptr;
  }

 private:
  std::vector<const Pattern*> order_;
  std::string buffer_;
};

std::string where(const RuleSet& set) { return source_name(set.backend, set.family); }

}  // namespace

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Clean:
      return "clean";
    case Verdict::Unexpected:
      return "unexpected";
    case Verdict::Unknown:
      break;
  }
  return "unknown";
}

std::vector<CheckInput> pair_with_allowlists(const std::vector<RuleSet>& sets,
                                             const Allowlist& ipv4, const Allowlist& ipv6) {
  std::vector<CheckInput> inputs;
  inputs.reserve(sets.size());
  for (const RuleSet& set : sets)
    inputs.push_back({&set, set.family == Family::V6 ? &ipv6 : &ipv4});
  return inputs;
}

void MatchCache::finish_check() {
  std::erase_if(allowed_, [this](const auto& entry) { return entry.second != check_; });
  std::erase_if(chains_, [this](const auto& entry) { return entry.second != check_; });
}

Report check(const std::vector<CheckInput>& inputs, MatchCache* cache, CheckObserver* observer,
             const CheckLimits& limits) {
  Report report;
  std::map<const Pattern*, size_t> limit_hits;
  Interrupt interrupt(limits);
  if (cache) cache->start_check();

  for (const CheckInput& input : inputs) {
    const RuleSet& set = *input.rules;
    const Allowlist& list = *input.allowlist;
    if (!set.error.empty()) report.errors.push_back(where(set) + ": " + set.error);

    for (const Table& table : set.tables) {
      TableResult result{set.family, set.backend, table.name, 0, 0, table.error};
      if (!table.read_ok()) {
        report.errors.push_back(where(set) + " table " + table.name + ": " + table.error);
        report.tables.push_back(std::move(result));
        continue;
      }
      // Rules only nft syntax shows whole that no native reader took: they
      // were never matched, so the table is not decided.
      if (!table.native_rules.empty()) {
        const NativeRuleRequest& first = table.native_rules.front();
        result.error = std::to_string(table.native_rules.size()) +
                       " rules cannot be shown as iptables text and were not read natively "
                       "(first: chain " +
                       first.chain + ": " + first.reason + ")";
        report.errors.push_back(where(set) + " table " + table.name + ": " + result.error);
      }
      TableMatcher matcher(list, set.backend, table.name);
      const uint64_t seed = table_seed(set, table.name, list.generation());
      auto decide = [&](const Chain& chain, std::string_view line) {
        ++result.rules;
        ++report.lines_checked;
        MatchCache::Key key{};
        if (cache) {
          key = cache_key(seed, line);
          if (cache->contains(key)) {
            ++report.lines_from_cache;
            return;
          }
        }
        if (const Pattern* p = matcher.find(line, limit_hits, interrupt)) {
          if (cache) cache->remember(key);
          if (observer) observer->allowed(set, table.name, chain.name, line, *p);
          return;
        }
        if (interrupt.fired()) return;  // undecided, not unexpected
        ++result.unexpected;
        report.unexpected.push_back(
            {set.family, set.backend, table.name, std::string(chain.name), std::string(line)});
      };
      for (const Chain& chain : table.chains) {
        if (interrupt.fired()) break;
        // The same making of the chain, every line of it allowed by this
        // allowlist before: allowed again, line by line as it was.
        const bool identified = cache && chain.id != 0;
        if (identified && cache->chain_allowed(chain.id, list.generation())) {
          const size_t lines = chain.rules.size() + (chain.header.empty() ? 0 : 1);
          result.rules += lines;
          report.lines_checked += lines;
          report.lines_from_cache += lines;
          continue;
        }
        const size_t unexpected_before = report.unexpected.size();
        // A native reader's chain of an iptables table has no header of
        // its own (the iptables text shows it).
        if (!chain.header.empty()) decide(chain, chain.header);
        for (std::string_view rule : chain.rules) {
          if (interrupt.fired()) break;
          decide(chain, rule);
        }
        if (identified && !interrupt.fired() && report.unexpected.size() == unexpected_before)
          cache->remember_chain(chain.id, list.generation());
      }
      report.tables.push_back(std::move(result));
    }
  }
  // An interrupted check saw only part of the rules: its cache entries are
  // still right, but dropping what it did not reach would waste them.
  if (cache && !interrupt.fired()) cache->finish_check();

  for (const auto& [pattern, count] : limit_hits)
    report.limit_hits.push_back({pattern->source(), pattern->text(), count});

  if (interrupt.fired()) {
    std::string why = interrupt.reason() + " after " + std::to_string(report.lines_checked) +
                      " lines; not every rule was decided";
    // What was slow: patterns that gave up at their match limit cost the most.
    auto slowest = std::max_element(report.limit_hits.begin(), report.limit_hits.end(),
                                    [](const auto& a, const auto& b) { return a.rules < b.rules; });
    if (slowest != report.limit_hits.end())
      why += "; slowest: " + slowest->source.file + ":" + std::to_string(slowest->source.line) +
             " hit its match limit on " + std::to_string(slowest->rules) + " rules (simplify it)";
    report.errors.push_back(why);
  }

  // A real node always has tables (the kubelet's, Cilium's): seeing none
  // means looking at the wrong network namespace or not seeing what is there.
  if (report.tables.empty() && report.errors.empty())
    report.errors.push_back(std::string(kNoTablesError));

  if (!report.unexpected.empty())
    report.verdict = Verdict::Unexpected;
  else if (!report.errors.empty())
    report.verdict = Verdict::Unknown;
  else
    report.verdict = Verdict::Clean;
  return report;
}

}  // namespace aim
