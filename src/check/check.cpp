#include "check/check.h"

#include "allowlist/go_regex.h"

#include <functional>
#include <map>

namespace aim {
namespace {

uint64_t fnv1a(std::string_view data, uint64_t h) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

MatchCache::Key cache_key(const RuleSet& set, std::string_view table, uint64_t generation,
                          std::string_view line) {
  std::string prefix;
  prefix += static_cast<char>(set.family == Family::V6 ? '6' : '4');
  prefix += static_cast<char>(set.backend == Backend::Nft ? 'n' : 'l');
  prefix += std::to_string(generation);
  prefix += '\0';
  prefix += table;
  prefix += '\0';
  // Two unrelated hash functions: a false "already allowed" needs both to
  // collide at once.
  const uint64_t a = std::hash<std::string_view>{}(prefix) * 0x9e3779b97f4a7c15ULL ^
                     std::hash<std::string_view>{}(line);
  const uint64_t b = fnv1a(line, fnv1a(prefix, 0xcbf29ce484222325ULL));
  return {a, b};
}

// Patterns for one table: the table's own, then global (upstream's order).
// Matching remembers the pattern that matched last and tries it first:
// neighbouring rules (one chain, one service) tend to match the same one.
class TableMatcher {
 public:
  TableMatcher(const Allowlist& list, std::string_view table) {
    for (const Pattern& p : list.table_patterns(table)) patterns_.push_back(&p);
    for (const Pattern& p : list.global_patterns()) patterns_.push_back(&p);
  }

  // The pattern that allows `line`, or nullptr. Limit hits are recorded.
  const Pattern* find(std::string_view raw_line, std::map<const Pattern*, size_t>& limit_hits) {
    if (patterns_.empty()) return nullptr;
    const std::string_view line = as_go_text(raw_line, buffer_);
    for (size_t k = 0; k < patterns_.size(); ++k) {
      const size_t i = (last_ + k) % patterns_.size();
      switch (patterns_[i]->search_go_text(line)) {
        case MatchResult::Match:
          last_ = i;
          return patterns_[i];
        case MatchResult::LimitHit:
          ++limit_hits[patterns_[i]];
          break;
        case MatchResult::NoMatch:
          break;
      }
    }
    return nullptr;
  }

 private:
  std::vector<const Pattern*> patterns_;
  size_t last_ = 0;
  std::string buffer_;
};

std::string where(const RuleSet& set) {
  return std::string(backend_name(set.backend)) + " " + std::string(family_name(set.family));
}

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

void MatchCache::finish_check() {
  current_.swap(next_);
  next_.clear();
}

Report check(const std::vector<CheckInput>& inputs, MatchCache* cache, CheckObserver* observer) {
  Report report;
  std::map<const Pattern*, size_t> limit_hits;

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
      TableMatcher matcher(list, table.name);
      auto decide = [&](const Chain& chain, std::string_view line) {
        ++result.rules;
        ++report.lines_checked;
        MatchCache::Key key{};
        if (cache) {
          key = cache_key(set, table.name, list.generation(), line);
          if (cache->contains(key)) {
            cache->remember(key);
            ++report.lines_from_cache;
            return;
          }
        }
        if (const Pattern* p = matcher.find(line, limit_hits)) {
          if (cache) cache->remember(key);
          if (observer) observer->allowed(set, table.name, chain.name, line, *p);
          return;
        }
        ++result.unexpected;
        report.unexpected.push_back({set.family, set.backend, table.name, std::string(chain.name),
                                     std::string(line)});
      };
      for (const Chain& chain : table.chains) {
        decide(chain, chain.header);
        for (std::string_view rule : chain.rules) decide(chain, rule);
      }
      report.tables.push_back(std::move(result));
    }
  }
  if (cache) cache->finish_check();

  for (const auto& [pattern, count] : limit_hits)
    report.limit_hits.push_back({pattern->source(), pattern->text(), count});

  if (!report.unexpected.empty())
    report.verdict = Verdict::Unexpected;
  else if (!report.errors.empty())
    report.verdict = Verdict::Unknown;
  else
    report.verdict = Verdict::Clean;
  return report;
}

}  // namespace aim
