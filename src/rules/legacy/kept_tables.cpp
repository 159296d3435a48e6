#include "rules/legacy/kept_tables.h"

#include <algorithm>

namespace aim {

std::string format_table_mark(const LegacyTableMark& mark) {
  std::string record = "F" + mark.table + " " + xt_digest_hex(mark.digest);
  record.push_back('\0');
  return record;
}

std::optional<std::vector<LegacyTableMark>> take_table_marks(std::string_view& stream) {
  std::vector<LegacyTableMark> marks;
  std::string_view rest = stream;
  while (!rest.empty() && rest[0] == 'F') {
    const size_t end = rest.find('\0');
    if (end == std::string_view::npos) return std::nullopt;
    const std::string_view payload = rest.substr(1, end - 1);
    // "<table> <32 hex>": the table is a name of kTableOrder.
    if (payload.size() < 1 + 1 + 32 || payload[payload.size() - 33] != ' ') return std::nullopt;
    const std::string_view table = payload.substr(0, payload.size() - 33);
    const auto digest = xt_digest_from_hex(payload.substr(payload.size() - 32));
    if (!digest || !table_rank(table)) return std::nullopt;
    for (const LegacyTableMark& m : marks)
      if (m.table == table) return std::nullopt;
    marks.push_back({std::string(table), *digest});
    rest.remove_prefix(end + 1);
  }
  stream = rest;
  return marks;
}

const KeptLegacyTables::Kept* KeptLegacyTables::unchanged(const LegacyTableCopy& copy) const {
  auto it = kept_.find(copy.table);
  if (it == kept_.end() || !copy.entries || it->second.entries != *copy.entries) return nullptr;
  return &it->second;
}

std::vector<std::string> KeptLegacyTables::to_render(
    const std::vector<LegacyTableCopy>& copies) const {
  std::vector<std::string> tables;
  for (const LegacyTableCopy& copy : copies)
    if (!unchanged(copy)) tables.push_back(copy.table);
  return tables;
}

RuleSet KeptLegacyTables::complete(const std::vector<LegacyTableCopy>& copies,
                                   const std::vector<LegacyTableMark>& marks,
                                   RuleSet rendered_set) {
  RuleSet set;
  set.family = rendered_set.family;
  set.backend = rendered_set.backend;
  set.error = rendered_set.error;
  set.arena = rendered_set.arena;
  set.stats = rendered_set.stats;
  std::map<std::string, Kept> next;
  size_t reused = 0;
  for (const LegacyTableCopy& copy : copies) {
    if (const Kept* kept = unchanged(copy)) {
      set.arena->keep_alive(kept->arena);
      set.tables.push_back(kept->table);
      next[copy.table] = *kept;
      ++reused;
      continue;
    }
    auto it = std::find_if(rendered_set.tables.begin(), rendered_set.tables.end(),
                           [&](const Table& t) { return t.name == copy.table; });
    if (it == rendered_set.tables.end()) {
      Table table;
      table.name = copy.table;
      table.error = "table was not read";
      set.tables.push_back(std::move(table));
      continue;
    }
    auto mark = std::find_if(marks.begin(), marks.end(),
                             [&](const LegacyTableMark& m) { return m.table == copy.table; });
    // Kept only when the child rendered what the parent copied.
    if (it->complete() && copy.entries && copy.rendering && mark != marks.end() &&
        mark->digest == *copy.rendering)
      next[copy.table] = {*copy.entries, *it, rendered_set.arena};
    set.tables.push_back(std::move(*it));
  }
  if (!set.error.empty()) next.clear();
  kept_ = std::move(next);
  if (reused > 0)
    set.stats.notes.push_back(std::to_string(reused) + " of " + std::to_string(copies.size()) +
                              " legacy " + std::string(family_name(set.family)) +
                              " tables unchanged since the last read: kept, not rendered");
  return set;
}

}  // namespace aim
