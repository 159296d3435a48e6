#include "rules/child/rule_delta.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

namespace aim {
namespace {

// `kept` with `changes` put in; an error when they do not fit it.
Result<Table> apply_table_changes(Table& kept, TableChanges& changes) {
  const std::string where = "the changes of table " + kept.name + ": ";
  if (!kept.read_ok()) return Error{where + "the kept table was not read"};
  std::set<std::string_view> gone(changes.removed.begin(), changes.removed.end());
  for (const Chain& c : changes.chains)
    if (!gone.insert(c.name).second)
      return Error{where + "chain " + std::string(c.name) + " twice"};
  Table table;
  table.name = kept.name;
  table.chains.reserve(changes.chain_count);
  // Chains that did not change keep their order (iptables-nft's order is
  // by a key a chain's rules do not change): each changed chain goes to its
  // place, the unchanged ones fill the places between, in order.
  size_t next_changed = 0;
  auto next_kept = kept.chains.begin();
  auto skip_changed = [&] {
    while (next_kept != kept.chains.end() && gone.contains(next_kept->name)) ++next_kept;
  };
  for (size_t place = 0; place < changes.chain_count; ++place) {
    if (next_changed < changes.places.size() && changes.places[next_changed] == place) {
      table.chains.push_back(std::move(changes.chains[next_changed++]));
      continue;
    }
    skip_changed();
    if (next_kept == kept.chains.end())
      return Error{where + "fewer chains than the " + std::to_string(changes.chain_count) +
                   " it says"};
    table.chains.push_back(std::move(*next_kept++));
  }
  skip_changed();
  if (next_changed != changes.places.size() || next_kept != kept.chains.end())
    return Error{where + "more chains than the " + std::to_string(changes.chain_count) +
                 " it says"};
  // Rules left to the native reader: the kept ones of unchanged chains and
  // the changed chains' own, in chain order like a full read's.
  if (!kept.native_rules.empty() || !changes.native_rules.empty()) {
    for (const Chain& c : table.chains) {
      const bool changed = gone.contains(c.name);
      for (const NativeRuleRequest& r : changed ? changes.native_rules : kept.native_rules)
        if (r.chain == c.name) table.native_rules.push_back(r);
    }
  }
  return table;
}

}  // namespace

Result<RuleSet> apply_rule_changes(RuleSet kept, StreamChanges changes,
                                   const std::vector<std::string>& tables) {
  if (!kept.error.empty()) return Error{"the kept set was not read"};
  if (kept.tables.size() != tables.size() ||
      !std::equal(tables.begin(), tables.end(), kept.tables.begin(),
                  [](const std::string& name, const Table& t) { return name == t.name; }))
    return Error{"the tables are not the kept set's"};
  RuleSet set;
  set.family = kept.family;
  set.backend = kept.backend;
  set.arena = std::move(changes.whole.arena);
  set.arena->keep_alive(kept.arena);
  std::set<std::string_view> named;
  for (const Table& t : changes.whole.tables)
    if (!named.insert(t.name).second) return Error{"table " + t.name + " twice"};
  for (const TableChanges& t : changes.changed)
    if (!named.insert(t.name).second) return Error{"table " + t.name + " twice"};
  for (const std::string_view name : named)
    if (!kept.find_table(name)) return Error{"table " + std::string(name) + " is not kept"};
  for (Table& kept_table : kept.tables) {
    auto whole = std::find_if(changes.whole.tables.begin(), changes.whole.tables.end(),
                              [&](const Table& t) { return t.name == kept_table.name; });
    if (whole != changes.whole.tables.end()) {
      set.tables.push_back(std::move(*whole));
      continue;
    }
    auto changed = std::find_if(changes.changed.begin(), changes.changed.end(),
                                [&](const TableChanges& t) { return t.name == kept_table.name; });
    if (changed == changes.changed.end()) {
      set.tables.push_back(std::move(kept_table));
      continue;
    }
    auto table = apply_table_changes(kept_table, *changed);
    if (!table) return Error{table.error()};
    set.tables.push_back(std::move(*table));
  }
  return set;
}

}  // namespace aim
