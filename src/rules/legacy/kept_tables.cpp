#include "rules/legacy/kept_tables.h"

#include <algorithm>

namespace aim {

std::string format_table_mark(const LegacyTableMark& mark) {
  std::string record =
      "F" + mark.table + " " + xt_digest_hex(mark.digest) + (mark.unchanged ? " k" : " r");
  record.push_back('\0');
  return record;
}

std::optional<std::vector<LegacyTableMark>> take_table_marks(std::string_view& stream) {
  std::vector<LegacyTableMark> marks;
  std::string_view rest = stream;
  while (!rest.empty() && rest[0] == 'F') {
    const size_t end = rest.find('\0');
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view payload = rest.substr(1, end - 1);
    // "<table> <32 hex> <r|k>": the table is a name of kTableOrder.
    if (payload.size() < 1 + 1 + 32 + 2) return std::nullopt;
    const std::string_view flag = payload.substr(payload.size() - 2);
    const std::string_view hex = payload.substr(payload.size() - 2 - 32, 32);
    const std::string_view table = payload.substr(0, payload.size() - 2 - 32 - 1);
    if (payload[payload.size() - 2 - 32 - 1] != ' ' || (flag != " k" && flag != " r"))
      return std::nullopt;
    const auto digest = xt_digest_from_hex(hex);
    if (!digest || !table_rank(table)) return std::nullopt;
    for (const LegacyTableMark& m : marks)
      if (m.table == table) return std::nullopt;
    marks.push_back({std::string(table), *digest, flag == " k"});
    rest.remove_prefix(end + 1);
  }
  stream = rest;
  return marks;
}

std::string format_table_arg(const LegacyTableArg& arg) {
  return arg.kept ? arg.table + "=" + xt_digest_hex(*arg.kept) : arg.table;
}

LegacyTableArg parse_table_arg(std::string_view arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string_view::npos) return {std::string(arg), std::nullopt};
  return {std::string(arg.substr(0, eq)), xt_digest_from_hex(arg.substr(eq + 1))};
}

std::vector<std::string> KeptLegacyTables::job_args(const std::vector<std::string>& tables) const {
  std::vector<std::string> args;
  for (const std::string& table : tables) {
    auto it = kept_.find(table);
    args.push_back(format_table_arg(
        {table, it == kept_.end() ? std::nullopt : std::optional<XtDigest>(it->second.digest)}));
  }
  return args;
}

namespace {

const LegacyTableMark* find_mark(const std::vector<LegacyTableMark>& marks,
                                 const std::string& table) {
  auto it = std::find_if(marks.begin(), marks.end(),
                         [&](const LegacyTableMark& m) { return m.table == table; });
  return it == marks.end() ? nullptr : &*it;
}

}  // namespace

std::vector<std::string> KeptLegacyTables::rendered(const std::vector<std::string>& tables,
                                                    const std::vector<LegacyTableMark>& marks) {
  std::vector<std::string> out;
  for (const std::string& table : tables) {
    const LegacyTableMark* mark = find_mark(marks, table);
    if (!mark || !mark->unchanged) out.push_back(table);
  }
  return out;
}

RuleSet KeptLegacyTables::complete(const std::vector<std::string>& tables,
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
  for (const std::string& name : tables) {
    const LegacyTableMark* mark = find_mark(marks, name);
    if (mark && mark->unchanged) {
      auto it = kept_.find(name);
      if (it == kept_.end() || it->second.digest != mark->digest) {
        Table table;
        table.name = name;
        table.error =
            "the rendering child took this table as unchanged, but no rendering of it with that "
            "fingerprint is kept (a fault of this program, not of the rules): not judged; the "
            "next read renders it";
        set.tables.push_back(std::move(table));
        continue;
      }
      set.arena->keep_alive(it->second.arena);
      set.tables.push_back(it->second.table);
      next[name] = std::move(it->second);
      ++reused;
      continue;
    }
    auto it = std::find_if(rendered_set.tables.begin(), rendered_set.tables.end(),
                           [&](const Table& t) { return t.name == name; });
    if (it == rendered_set.tables.end()) {
      Table table;
      table.name = name;
      table.error = "table was not read";
      set.tables.push_back(std::move(table));
      continue;
    }
    if (mark && it->complete()) next[name] = {mark->digest, *it, rendered_set.arena};
    set.tables.push_back(std::move(*it));
  }
  if (!set.error.empty()) next.clear();
  kept_ = std::move(next);
  if (reused > 0)
    set.stats.notes.push_back(std::to_string(reused) + " of " + std::to_string(tables.size()) +
                              " legacy " + std::string(family_name(set.family)) +
                              " tables unchanged since the last read: kept, not rendered");
  return set;
}

}  // namespace aim
