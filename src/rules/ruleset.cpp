#include "rules/ruleset.h"

#include <algorithm>
#include <atomic>

namespace aim {

uint64_t next_chain_id() {
  static std::atomic<uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

std::string_view family_name(Family f) { return f == Family::V4 ? "ipv4" : "ipv6"; }
std::string_view backend_name(Backend b) {
  switch (b) {
    case Backend::Legacy:
      return "legacy";
    case Backend::Nft:
      return "nft";
    case Backend::Native:
      break;
  }
  return "nftables";
}

std::string_view family_name(std::optional<Family> f) { return f ? family_name(*f) : ""; }

std::string source_name(Backend b, std::optional<Family> f) {
  if (b == Backend::Native || !f) return std::string(backend_name(b));
  return std::string(backend_name(b)) + " " + std::string(family_name(*f));
}

std::optional<size_t> table_rank(std::string_view table) {
  for (size_t i = 0; i < std::size(kTableOrder); ++i)
    if (kTableOrder[i] == table) return i;
  return std::nullopt;
}

std::string_view TextArena::adopt(std::string buffer) {
  blocks_.push_back(std::move(buffer));
  return blocks_.back();
}

std::string_view TextArena::add(std::string_view text) { return adopt(std::string(text)); }

size_t Table::line_count() const {
  size_t n = 0;
  for (const auto& c : chains) n += 1 + c.rules.size();
  return n;
}

bool RuleSet::complete() const {
  return error.empty() &&
         std::all_of(tables.begin(), tables.end(), [](const Table& t) { return t.complete(); });
}

const Table* RuleSet::find_table(std::string_view name) const {
  for (const auto& t : tables)
    if (t.name == name) return &t;
  return nullptr;
}

size_t RuleSet::chain_count() const {
  size_t n = 0;
  for (const auto& t : tables) n += t.chains.size();
  return n;
}

size_t RuleSet::rule_count() const {
  size_t n = 0;
  for (const auto& t : tables)
    for (const auto& c : t.chains) n += c.rules.size();
  return n;
}

}  // namespace aim
