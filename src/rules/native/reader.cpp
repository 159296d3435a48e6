#include "rules/native/reader.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>

#include "rules/child/nft_command.h"
#include "rules/native/exactness.h"
#include "rules/native/listing.h"
#include "rules/netlink/generation.h"
#include "rules/netlink/layout_reader.h"
#include "rules/netlink/tables.h"

namespace aim {
namespace {

constexpr int kConsistentReadAttempts = 3;

// One `list table` (or, with `chain`, `list chain`) through libnftables in a
// child (nft_command.h): stateless (no counters), terse (no set elements: a
// set can hold millions), with handles.
Result<std::string> list_native(ChildStart start, const NftTable& table,
                                const std::string* chain = nullptr) {
  const std::string command = chain ? "list chain " + table.family + " " + table.name + " " + *chain
                                    : "list table " + table.family + " " + table.name;
  auto listed = run_nft_command(NftCommandMode::List, command, start);
  if (!listed) return Error{"'nft " + command + "' failed: " + listed.error()};
  return listed;
}

// Names libnftables' command parser takes as they are.
bool listable_name(const std::string& name) {
  return !name.empty() && name.find_first_not_of(
                              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "0123456789_-./") == std::string::npos;
}

// The rules of a listed table with their handles and chains, for the proof
// that their text is whole (native/exactness.h).
std::vector<NativeRuleText> rules_of(const Table& listed, const NativeTableShape& shape) {
  std::vector<NativeRuleText> out;
  for (const Chain& c : listed.chains) {
    if (c.name.empty()) continue;  // the table's own objects
    for (const NativeBlockShape& b : shape.blocks) {
      if (b.kind != "chain" || b.name != c.name || b.rules.size() != c.rules.size()) continue;
      for (size_t i = 0; i < c.rules.size(); ++i)
        out.push_back({b.rules[i].handle, b.name, c.rules[i]});
      break;
    }
  }
  return out;
}

Table read_table(ChildStart start, const NftTable& t, TextArena& arena) {
  Table table;
  table.name = native_table_label(t.family, t.name);
  if (!listable_name(t.name)) {
    table.error = "its name holds characters nft cannot list; list it with 'nft -a list ruleset'";
    return table;
  }
  auto read = read_at_stable_generation<Table>(kConsistentReadAttempts, [&]() -> StableRead<Table> {
    Table failed;
    failed.name = table.name;
    auto text = list_native(start, t);
    if (!text) return failed.error = text.error(), failed;
    auto shape = read_native_shape(t);
    if (!shape) return failed.error = shape.error(), failed;
    Table listed = parse_native_table(arena.adopt(std::move(*text)), *shape, arena);
    if (!listed.read_ok()) return listed;
    if (std::string inexact = verify_native_rules(start, t, nullptr, rules_of(listed, *shape));
        !inexact.empty())
      return failed.error = "nft's text of a rule is not the whole rule: " + inexact, failed;
    return listed;
  });
  if (read) return std::move(*read);
  table.error = read.error();
  return table;
}

// The `wanted` rules' lines from one chain's listing, each proven whole.
Status pick_rules(ChildStart start, std::string_view text, const NativeTableShape& shape,
                  const NftTable& t, const std::string& chain,
                  const std::vector<const NativeRuleRequest*>& wanted, TextArena& arena,
                  Chain& out) {
  Table listed = parse_native_table(text, shape, arena, NativeListing::Chain);
  if (!listed.read_ok()) return Error{listed.error};
  // parse_native_table gives the table's line, then the chain's rules in
  // the shape's order.
  const std::vector<NativeRuleShape>& rules = shape.blocks.front().rules;
  if (listed.chains.size() != 2 || listed.chains[1].rules.size() != rules.size())
    return Error{"nft's listing of chain " + chain + " does not hold its rules"};
  out.name = arena.add(chain);
  std::vector<NativeRuleText> proof;
  for (const NativeRuleRequest* w : wanted) {
    auto it = std::find_if(rules.begin(), rules.end(),
                           [&](const NativeRuleShape& r) { return r.handle == w->handle; });
    if (it == rules.end())
      return Error{"rule handle " + std::to_string(w->handle) + " of chain " + chain +
                   " was replaced or deleted after it was read; the next check reads again"};
    if (it->compat) return Error{compat_rule_error(chain, w->handle)};
    const std::string_view line = listed.chains[1].rules[static_cast<size_t>(it - rules.begin())];
    out.rules.push_back(line);
    proof.push_back({w->handle, chain, line});
  }
  if (std::string inexact = verify_native_rules(start, t, &chain, proof); !inexact.empty())
    return Error{"nft's text of a rule is not the whole rule: " + inexact};
  return Ok{};
}

// The text of one chain's rules that iptables text cannot show whole, by
// handle, from `list chain` held against the kernel's description of the
// chain (both between two equal generations).
Status read_chain_rules_natively(ChildStart start, const NftTable& t, const std::string& chain,
                                 const std::vector<const NativeRuleRequest*>& wanted,
                                 TextArena& arena, Chain& out) {
  if (!listable_name(chain))
    return Error{"chain " + chain + " has a name nft's command parser cannot take"};
  // The listing's Status, kept as a value: an error read at one
  // generation is the answer, not a reason to read again.
  auto read = read_at_stable_generation<std::pair<Status, Chain>>(
      kConsistentReadAttempts, [&]() -> StableRead<std::pair<Status, Chain>> {
        auto text = list_native(start, t, &chain);
        if (!text) return std::pair<Status, Chain>{Error{text.error()}, {}};
        auto shape = read_native_chain_shape(t, chain);
        if (!shape) return std::pair<Status, Chain>{Error{shape.error()}, {}};
        Chain picked;
        Status taken = pick_rules(start, arena.adopt(std::move(*text)), *shape, t, chain, wanted,
                                  arena, picked);
        return std::pair<Status, Chain>{std::move(taken), std::move(picked)};
      });
  if (!read) return Error{read.error()};
  if (!read->first) return read->first;
  out = std::move(read->second);
  return Ok{};
}

// The rules of one iptables table ("ip filter") that only nft syntax shows
// whole, as a table of this set holding just them, chain by chain, each
// chain's rules in kernel order (no header: the iptables text shows it).
Table read_delegated_rules(ChildStart start, const std::string& label,
                           const std::vector<NativeRuleRequest>& wanted, TextArena& arena) {
  Table table;
  table.name = label;
  const size_t space = label.find(' ');
  const NftTable t{label.substr(0, space), label.substr(space + 1)};
  std::map<std::string, std::vector<const NativeRuleRequest*>> by_chain;
  std::vector<std::string> order;
  for (const NativeRuleRequest& r : wanted) {
    if (!by_chain.count(r.chain)) order.push_back(r.chain);
    by_chain[r.chain].push_back(&r);
  }
  for (const std::string& chain : order) {
    Chain c;
    if (Status st = read_chain_rules_natively(start, t, chain, by_chain[chain], arena, c); !st) {
      table.chains.clear();
      table.error = "showing in nft syntax the rules iptables text cannot show whole (" +
                    by_chain[chain].front()->reason + "): " + st.error();
      return table;
    }
    table.chains.push_back(std::move(c));
  }
  return table;
}

}  // namespace

RuleSet NativeNftReader::read(std::optional<Family>) {
  RuleSet set;  // no family: checked with the --input directory's `nftables` file
  set.backend = Backend::Native;
  const auto started = std::chrono::steady_clock::now();
  auto tables = list_nft_tables();
  if (!tables) {
    set.error = tables.error();
    return set;
  }
  for (const NftTable& t : *tables) {
    if (abort_ && abort_()) {
      set.error = "reading native nftables tables was abandoned (stopping)";
      return set;
    }
    const std::string label = native_table_label(t.family, t.name);
    const bool iptables_owned = (t.family == "ip" || t.family == "ip6") && table_rank(t.name);
    const bool delegated = delegated_ && delegated_->labels.count(label);
    if (iptables_owned && !delegated) {
      if (delegated_)
        if (auto rules = delegated_->rules.find(label); rules != delegated_->rules.end())
          set.tables.push_back(
              read_delegated_rules(child_start_, label, rules->second, *set.arena));
      continue;
    }
    if (only_delegated_ && !delegated) continue;
    set.tables.push_back(read_table(child_start_, t, *set.arena));
  }
  // What the nft reader left here must be shown, or be an error: a table
  // gone since is not a table without rules.
  if (delegated_) {
    std::set<std::string> wanted(delegated_->labels);
    for (const auto& [label, rules] : delegated_->rules) wanted.insert(label);
    for (const std::string& label : wanted) {
      if (std::any_of(set.tables.begin(), set.tables.end(),
                      [&](const Table& t) { return t.name == label; }))
        continue;
      Table gone;
      gone.name = label;
      gone.error =
          "the table was gone when its rules were to be shown in nft syntax; the next "
          "check reads again";
      set.tables.push_back(std::move(gone));
    }
  }
  set.stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return set;
}

}  // namespace aim
