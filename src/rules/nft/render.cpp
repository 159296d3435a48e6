#include "rules/nft/render.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "rules/legacy/format.h"
#include "rules/nft/helper.h"
#include "rules/nft/shim.h"
#include "rules/nft/translate.h"

namespace aim::iptables_nft {
namespace {

// iptables-nft's built-in chains (nft.c, xtables_ipv4, used for both
// families): a base chain is shown only if its hook, name, type and
// priority are exactly these.
struct BuiltinChain {
  std::string_view name, type;
  int32_t priority;
  uint32_t hook;
};
struct BuiltinTable {
  std::string_view name;
  std::vector<BuiltinChain> chains;
};

const std::vector<BuiltinTable>& builtin_tables() {
  static const std::vector<BuiltinTable> tables = {
      {"raw",
       {{"PREROUTING", "filter", -300, NF_INET_PRE_ROUTING},
        {"OUTPUT", "filter", -300, NF_INET_LOCAL_OUT}}},
      {"mangle",
       {{"PREROUTING", "filter", -150, NF_INET_PRE_ROUTING},
        {"INPUT", "filter", -150, NF_INET_LOCAL_IN},
        {"FORWARD", "filter", -150, NF_INET_FORWARD},
        {"OUTPUT", "route", -150, NF_INET_LOCAL_OUT},
        {"POSTROUTING", "filter", -150, NF_INET_POST_ROUTING}}},
      {"filter",
       {{"INPUT", "filter", 0, NF_INET_LOCAL_IN},
        {"FORWARD", "filter", 0, NF_INET_FORWARD},
        {"OUTPUT", "filter", 0, NF_INET_LOCAL_OUT}}},
      {"security",
       {{"INPUT", "filter", 150, NF_INET_LOCAL_IN},
        {"FORWARD", "filter", 150, NF_INET_FORWARD},
        {"OUTPUT", "filter", 150, NF_INET_LOCAL_OUT}}},
      {"nat",
       {{"PREROUTING", "nat", -100, NF_INET_PRE_ROUTING},
        {"INPUT", "nat", 100, NF_INET_LOCAL_IN},
        {"POSTROUTING", "nat", 100, NF_INET_POST_ROUTING},
        {"OUTPUT", "nat", -100, NF_INET_LOCAL_OUT}}},
  };
  return tables;
}

const BuiltinTable* builtin_table(std::string_view name) {
  for (const BuiltinTable& t : builtin_tables())
    if (t.name == name) return &t;
  return nullptr;
}

// Orders a table's chains as iptables-nft lists them: base chains by hook
// (built-in ones the kernel lacks shown empty with policy ACCEPT), then the
// others by name. Empty on success, else why the table is not shown as is.
std::string shown_chains(const BuiltinTable& t, const std::vector<ChainInfo>& chains,
                         std::vector<ShownChain>& out) {
  std::array<const ChainInfo*, NF_INET_NUMHOOKS> slots{};
  std::vector<const ChainInfo*> users;
  for (const ChainInfo& c : chains) {
    if (!iptables_chain_name(c.name)) return "a chain whose name iptables text cannot carry";
    if (!c.hook) {
      for (const BuiltinChain& b : t.chains)
        if (b.name == c.name) return "a chain named like a built-in chain without its hook";
      users.push_back(&c);
      continue;
    }
    const BuiltinChain* b = nullptr;
    for (const BuiltinChain& candidate : t.chains)
      if (candidate.hook == *c.hook) b = &candidate;
    if (!b || !c.priority || *c.priority != b->priority || c.name != b->name || c.type != b->type)
      return "base chain " + c.name + " is not one of iptables' built-in chains";
    if (slots[*c.hook]) return "two base chains on one hook";
    if (!c.policy || (*c.policy != NF_ACCEPT && *c.policy != NF_DROP))
      return "base chain " + c.name + " has an unusual policy";
    slots[*c.hook] = &c;
  }
  for (uint32_t hook = 0; hook < NF_INET_NUMHOOKS; ++hook) {
    if (const ChainInfo* c = slots[hook]) {
      out.push_back(
          {c->name, "-P " + c->name + (*c->policy == NF_ACCEPT ? " ACCEPT" : " DROP"), true});
      continue;
    }
    for (const BuiltinChain& b : t.chains)
      if (b.hook == hook)
        out.push_back({std::string(b.name), "-P " + std::string(b.name) + " ACCEPT", false});
  }
  std::sort(users.begin(), users.end(),
            [](const ChainInfo* a, const ChainInfo* b) { return a->name < b->name; });
  for (const ChainInfo* c : users) out.push_back({c->name, "-N " + c->name, true});
  return {};
}

// Prints one translated rule; empty, or why its text could differ.
std::string print_rule(const std::string& chain, NftRuleParts& rule) {
  char err[512] = "";
  aim_protocol_name(rule.head.proto, rule.head.proto_name, sizeof rule.head.proto_name);
  aim_nft_set_rule_head(&rule.head, rule.action.kind == NftAction::Kind::Goto);
  std::fputs("-A ", stdout);
  std::fputs(chain.c_str(), stdout);
  std::fputs(format_rule_head(rule.head).c_str(), stdout);
  for (const NftMatchPart& m : rule.matches) {
    int rc = 0;
    switch (m.kind) {
      case NftMatchPart::Kind::Compat:
        rc = aim_nft_print_match(m.name.c_str(), m.revision, m.info.data(), m.info.size(), err,
                                 sizeof err);
        break;
      case NftMatchPart::Kind::Tcp:
      case NftMatchPart::Kind::Udp: {
        aim_nft_ports p{};
        std::memcpy(p.spts, m.ports.spts, sizeof p.spts);
        std::memcpy(p.dpts, m.ports.dpts, sizeof p.dpts);
        p.invflags = m.ports.invflags;
        p.flg_mask = m.ports.flg_mask;
        p.flg_cmp = m.ports.flg_cmp;
        rc = m.kind == NftMatchPart::Kind::Tcp ? aim_nft_print_tcp(&p, err, sizeof err)
                                               : aim_nft_print_udp(&p, err, sizeof err);
        break;
      }
      case NftMatchPart::Kind::Mark:
        rc = aim_nft_print_mark(m.mark, m.mask, m.invert, err, sizeof err);
        break;
      case NftMatchPart::Kind::Comment:
        rc = aim_nft_print_comment(m.comment.c_str(), err, sizeof err);
        break;
      case NftMatchPart::Kind::Limit:
        rc = aim_nft_print_limit(m.avg, m.burst, err, sizeof err);
        break;
    }
    if (rc != 0) return err;
  }
  const NftAction& act = rule.action;
  switch (act.kind) {
    case NftAction::Kind::None:
      break;
    case NftAction::Kind::Accept:
      std::fputs(" -j ACCEPT", stdout);
      break;
    case NftAction::Kind::Drop:
      std::fputs(" -j DROP", stdout);
      break;
    case NftAction::Kind::Return:
      std::fputs(" -j RETURN", stdout);
      break;
    case NftAction::Kind::Jump:
    case NftAction::Kind::Goto:
      // "-j NAME" means the extension or built-in target when one has the
      // name: only a chain iptables could have made is a jump in its text.
      if (!iptables_chain_name(act.chain))
        return "a jump to a chain whose name iptables text cannot carry";
      if (aim_nft_names_target(act.chain.c_str()))
        return "a jump to a chain named like the target " + act.chain;
      std::fputs(act.kind == NftAction::Kind::Jump ? " -j " : " -g ", stdout);
      std::fputs(act.chain.c_str(), stdout);
      break;
    case NftAction::Kind::Target:
      if (aim_nft_print_target(act.name.c_str(), act.revision, act.info.data(), act.info.size(),
                               err, sizeof err) != 0)
        return err;
      break;
    case NftAction::Kind::Nflog:
      if (aim_nft_print_nflog(act.prefix.c_str(), act.group, act.threshold, act.has_snaplen,
                              act.snaplen, err, sizeof err) != 0)
        return err;
      break;
  }
  return {};
}

// Sends what libxtables' save() functions print (to stdout) into a string
// for as long as it lives.
class CapturedStdout {
 public:
  CapturedStdout() : saved_(stdout), memory_(open_memstream(&data_, &size_)) {
    if (memory_) stdout = memory_;
  }
  ~CapturedStdout() {
    if (memory_) {
      stdout = saved_;
      std::fclose(memory_);
    }
    std::free(data_);
  }
  CapturedStdout(const CapturedStdout&) = delete;
  CapturedStdout& operator=(const CapturedStdout&) = delete;
  bool ok() const { return memory_ != nullptr; }
  FILE* file() const { return memory_; }
  std::string text() { return std::string(view()); }
  // Valid until the next write.
  std::string_view view() {
    std::fflush(memory_);
    return std::string_view(data_ ? data_ : "", size_);
  }

 private:
  FILE* saved_;
  char* data_ = nullptr;
  size_t size_ = 0;
  FILE* memory_;
};

using Clock = std::chrono::steady_clock;
bool clock_on = false;
RenderClock clock_total;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

void start_render_clock() {
  clock_on = true;
  clock_total = {};
}

RenderClock render_clock() { return clock_total; }

namespace {

// The key of a rule's text: both byte strings, the first with its length,
// so that no two rules share one.
void rule_key(std::string& key, std::string_view expressions,
              const std::optional<std::string>& userdata) {
  key.clear();
  key.append(std::to_string(expressions.size())).append(1, ':').append(expressions);
  if (userdata) key.append(1, 'u').append(*userdata);
}

// What print_rule_record did: printed the record, or refused the rule
// (`refused`: why iptables text would not be the whole rule; nothing
// printed), or left a partial record it could not take back (`broken`: the
// buffer holds text that is not the rule; none of it may be used).
struct PrintedRule {
  std::string refused;
  std::string broken;
};

// Prints one rule's record to stdout (a CapturedStdout).
PrintedRule print_rule_record(Family family, const std::string& table, const std::string& chain,
                              std::string_view expressions,
                              const std::optional<std::string>& userdata, double& translating,
                              double& rendering) {
  const Clock::time_point translating_from = clock_on ? Clock::now() : Clock::time_point{};
  auto parts = translate_nft_rule(expressions, userdata ? &*userdata : nullptr, family);
  const Clock::time_point rendering_from = clock_on ? Clock::now() : Clock::time_point{};
  if (clock_on)
    translating += std::chrono::duration<double>(rendering_from - translating_from).count();
  if (!parts) return {parts.error(), {}};
  // iptables refuses "-j DROP" in nat ("not intended for filtering"): no
  // iptables text builds such a rule.
  if (table == "nat" && parts->action.kind == NftAction::Kind::Drop)
    return {"a DROP in the nat table, which iptables refuses to write", {}};
  RuleStreamWriter out(stdout);
  const long start = std::ftell(stdout);
  out.begin_rule();
  std::string print_error = print_rule(chain, *parts);
  std::fputc('\n', stdout);
  out.end_rule();
  if (clock_on) rendering += seconds_since(rendering_from);
  if (print_error.empty()) return {};
  // What was printed of it is not its text: take it back.
  if (start < 0 || std::fseek(stdout, start, SEEK_SET) != 0)
    return {{}, "cannot take back a rule's partial text"};
  return {print_error, {}};
}

// Where each rule's record lies in a chain's buffer, for its ChainTextCache.
struct RecordPlace {
  uint64_t handle;
  size_t start, end;
  std::string key;  // empty: not keyed
};

}  // namespace

// Renders one chain's rules into `table.rule_records`. A rule whose
// iptables text would not be the whole rule (the translator or the printer
// refuses it) becomes a native rule record, for the native reader to show
// in nft syntax. An error (EAGAIN: the chain changed during the dump;
// ENOENT: it is gone) leaves the chain to be read again.
Status render_chain(NftNetlink& netlink, Family family, TableRead& table,
                    const std::string& chain) {
  CapturedStdout captured;
  if (!captured.ok()) return Error{"cannot buffer a chain's rules", errno};
  RuleStreamWriter out(captured.file());
  const uint8_t proto = nfproto(family);
  std::string why;
  bool malformed = false, native = false;
  size_t index = 0;
  // What the chain's last rendering kept (when it was big and nothing
  // libxtables answers has moved since), by key; and what this one keeps.
  const unsigned long long epoch = aim_nft_extension_epoch();
  ChainTextCache* kept = nullptr;
  std::unordered_map<std::string_view, KeptRule*> by_key;
  if (auto it = table.text_caches.find(chain);
      it != table.text_caches.end() && it->second.epoch == epoch) {
    kept = &it->second;
    for (KeptRule& r : kept->rules)
      if (!r.key.empty()) by_key.emplace(r.key, &r);
  }
  std::vector<RecordPlace> places;
  std::string key;
  const Clock::time_point began = clock_on ? Clock::now() : Clock::time_point{};
  double translating = 0, rendering = 0;
  const Status st = netlink.request(
      NFT_MSG_GETRULE, proto,
      {{NFTA_RULE_TABLE, nul_terminated(table.name)}, {NFTA_RULE_CHAIN, nul_terminated(chain)}},
      true, [&](const NftAnswer& a) {
        if (a.family != proto || !why.empty()) return;
        std::string_view rule_table, rule_chain, expressions;
        std::optional<std::string> userdata;
        uint64_t handle = 0;
        malformed |= !for_each_attribute(a.attributes, [&](uint16_t type, std::string_view v) {
          if (type == NFTA_RULE_TABLE) rule_table = attribute_string(v);
          if (type == NFTA_RULE_CHAIN) rule_chain = attribute_string(v);
          if (type == NFTA_RULE_HANDLE) read_be64(v, handle);
          if (type == NFTA_RULE_EXPRESSIONS) expressions = v;
          if (type == NFTA_RULE_USERDATA) userdata = std::string(v);
        });
        if (rule_table != table.name || rule_chain != chain) {
          why = "the kernel answered a rule of another chain";
          return;
        }
        if (handle == 0) {
          why = "the kernel answered a rule without a handle";
          return;
        }
        ++index;
        const long start = std::ftell(stdout);
        const bool keyed = kept || index > kChainTextCacheFrom;
        if (keyed) {
          rule_key(key, expressions, userdata);
          if (auto hit = by_key.find(key); hit != by_key.end()) {
            KeptRule& was = *hit->second;
            std::fwrite(was.record.data(), 1, was.record.size(), stdout);
            // Taken, not copied: a rule that is there twice is printed
            // afresh the second time.
            by_key.erase(hit);
            places.push_back({handle, static_cast<size_t>(start),
                              static_cast<size_t>(start) + was.record.size(), std::move(was.key)});
            return;
          }
        }
        PrintedRule printed = print_rule_record(family, table.name, chain, expressions, userdata,
                                                translating, rendering);
        if (!printed.broken.empty()) {
          why = printed.broken;  // the chain's text is not its rules: the table is an error
          return;
        }
        if (printed.refused.empty()) {
          const long end = std::ftell(stdout);
          if (start >= 0 && end > start)
            places.push_back({handle, static_cast<size_t>(start), static_cast<size_t>(end),
                              keyed ? key : std::string()});
          return;
        }
        native = true;
        out.native_rule(handle, "rule " + std::to_string(index) + ": " + printed.refused);
      });
  if (clock_on) {
    clock_total.translate += translating;
    clock_total.render += rendering;
    clock_total.netlink += seconds_since(began) - translating - rendering;
    clock_total.rules += index;
  }
  if (!st) return Error{"reading the rules of chain " + chain + ": " + st.error(), st.error_code()};
  if (malformed) why = "the kernel's answer for chain " + chain + " is malformed";
  if (!why.empty()) {
    table.problem = why;
    return Ok{};
  }
  const std::string_view text = captured.view();
  if (index >= kChainTextCacheFrom && !native && places.size() == index) {
    ChainTextCache fresh;
    fresh.epoch = epoch;
    fresh.rules.reserve(places.size());
    for (RecordPlace& p : places)
      fresh.rules.push_back(
          {p.handle, std::move(p.key), std::string(text.substr(p.start, p.end - p.start))});
    table.text_caches[chain] = std::move(fresh);
  } else {
    table.text_caches.erase(chain);
  }
  table.rule_records[chain] = std::string(text);
  return Ok{};
}

bool apply_rule_changes(Family family, TableRead& table, const std::string& chain,
                        const std::vector<RuleChange>& changes) {
  auto it = table.text_caches.find(chain);
  if (it == table.text_caches.end() || it->second.epoch != aim_nft_extension_epoch()) return false;
  std::vector<KeptRule>& rules = it->second.rules;
  auto find = [&](uint64_t handle) {
    return std::find_if(rules.begin(), rules.end(),
                        [&](const KeptRule& r) { return r.handle == handle; });
  };
  // A rule replaced keeps its handle: deleted, then new, in one commit.
  std::map<uint64_t, size_t> deleted_at;
  for (const RuleChange& change : changes) {
    const NftNotification& n = *change.told;
    if (n.type == NFT_MSG_DELRULE) {
      auto at = find(n.rule_handle);
      if (at == rules.end()) return false;
      deleted_at[n.rule_handle] = static_cast<size_t>(at - rules.begin());
      rules.erase(at);
      continue;
    }
    if (n.type != NFT_MSG_NEWRULE || find(n.rule_handle) != rules.end()) return false;
    // Where: after the rule `position` names; without one the rule is first
    // or last, which only its request tells: a replaced rule stays where it
    // was, an appended one is last, an inserted one first; unclear when a
    // deletion later in the commit may have made it first or last.
    size_t place;
    if (n.position != 0) {
      auto before = find(n.position);
      if (before == rules.end()) return false;
      place = static_cast<size_t>(before - rules.begin()) + 1;
    } else if (change.deletion_follows) {
      return false;
    } else if (auto was = deleted_at.find(n.rule_handle); was != deleted_at.end()) {
      if (was->second == 0)
        place = 0;
      else if (was->second == rules.size())
        place = rules.size();
      else
        return false;
    } else {
      place = (n.flags & NLM_F_APPEND) ? rules.size() : 0;
    }
    KeptRule rule;
    rule.handle = n.rule_handle;
    rule_key(rule.key, n.expressions, n.userdata);
    CapturedStdout captured;
    if (!captured.ok()) return false;
    double translating = 0, rendering = 0;
    const PrintedRule printed = print_rule_record(family, table.name, chain, n.expressions,
                                                  n.userdata, translating, rendering);
    if (!printed.refused.empty() || !printed.broken.empty()) return false;
    rule.record = captured.text();
    rules.insert(rules.begin() + static_cast<std::ptrdiff_t>(place), std::move(rule));
  }
  std::string records;
  size_t size = 0;
  for (const KeptRule& r : rules) size += r.record.size();
  records.reserve(size);
  for (const KeptRule& r : rules) records += r.record;
  table.rule_records[chain] = std::move(records);
  return true;
}

namespace {

// The chains of `table` as iptables-nft shows them, made once per chain
// list (table.layout; 40,000 chains sorted and named at 10,000 services).
const ShownLayout& shown_layout(const TableRead& table) {
  if (table.layout) return *table.layout;
  auto layout = std::make_shared<ShownLayout>();
  const BuiltinTable* t = builtin_table(table.name);
  if (!t) {
    layout->problem = std::string(kNftNativeTableMark) + "not an iptables table";
  } else if (auto why = shown_chains(*t, table.chains, layout->chains); !why.empty()) {
    layout->problem = std::string(kNftNativeTableMark) + why;
    layout->chains.clear();
  }
  // Base chains ("-P") come first, user chains ("-N") after them.
  while (layout->users_from < layout->chains.size() &&
         layout->chains[layout->users_from].header.starts_with("-P "))
    ++layout->users_from;
  table.layout = std::move(layout);
  return *table.layout;
}

// Where `name` is shown in `layout`, if it is.
std::optional<size_t> place_of(const ShownLayout& layout, std::string_view name) {
  for (size_t i = 0; i < layout.users_from; ++i)
    if (layout.chains[i].name == name) return i;
  const auto users = layout.chains.begin() + static_cast<std::ptrdiff_t>(layout.users_from);
  const auto at =
      std::lower_bound(users, layout.chains.end(), name,
                       [](const ShownChain& c, std::string_view n) { return c.name < n; });
  if (at == layout.chains.end() || at->name != name) return std::nullopt;
  return static_cast<size_t>(at - layout.chains.begin());
}

}  // namespace

void layout_chain_changed(TableRead& table, const std::string& chain, const ChainInfo* now) {
  if (!table.layout) return;
  ShownLayout& layout = *table.layout;
  const BuiltinTable* t = builtin_table(table.name);
  const bool builtin_name =
      t && std::any_of(t->chains.begin(), t->chains.end(),
                       [&](const BuiltinChain& b) { return b.name == chain; });
  // A base chain, a name iptables cannot show, a layout that was a problem:
  // shown_chains() decides again.
  if (!t || !layout.problem.empty() || builtin_name || (now && now->hook) ||
      (now && !iptables_chain_name(now->name))) {
    table.layout.reset();
    return;
  }
  const auto users = layout.chains.begin() + static_cast<std::ptrdiff_t>(layout.users_from);
  const auto at =
      std::lower_bound(users, layout.chains.end(), std::string_view(chain),
                       [](const ShownChain& c, std::string_view n) { return c.name < n; });
  const bool shown = at != layout.chains.end() && at->name == chain;
  if (!now && shown) layout.chains.erase(at);
  if (now && !shown) layout.chains.insert(at, ShownChain{chain, "-N " + chain, true});
}

namespace {

// Why the table is written as an error record; empty when it is shown.
std::string shown_problem(const TableRead& table) {
  if (!table.problem.empty()) return table.problem;
  return shown_layout(table).problem;
}

void write_chain(const TableRead& table, const ShownChain& chain, RuleStreamWriter& out,
                 FILE* file) {
  out.begin_chain(chain.name, chain.header);
  if (!chain.in_kernel) return;
  auto records = table.rule_records.find(chain.name);
  if (records != table.rule_records.end())
    std::fwrite(records->second.data(), 1, records->second.size(), file);
}

}  // namespace

// Writes one table's records; the chain order is iptables-nft's.
bool write_table(const TableRead& table, RuleStreamWriter& out, FILE* file) {
  out.begin_table(table.name);
  if (std::string why = shown_problem(table); !why.empty()) {
    out.table_error(why);
    return false;
  }
  for (const ShownChain& chain : shown_layout(table).chains) write_chain(table, chain, out, file);
  out.end_table();
  return true;
}

bool write_table_changes(const TableRead& table, const std::set<std::string, std::less<>>& changed,
                         RuleStreamWriter& out, FILE* file) {
  if (!shown_problem(table).empty()) return write_table(table, out, file);
  const ShownLayout& shown = shown_layout(table);
  out.begin_table_changes(table.name);
  // The changed chains still shown, in their order (the places must rise).
  std::vector<size_t> places;
  for (const std::string& chain : changed)
    if (auto at = place_of(shown, chain)) places.push_back(*at);
  std::sort(places.begin(), places.end());
  for (const size_t place : places) {
    out.chain_place(place);
    write_chain(table, shown.chains[place], out, file);
  }
  for (const std::string& chain : changed)
    if (!place_of(shown, chain)) out.removed_chain(chain);
  out.end_table_changes(shown.chains.size());
  return true;
}

}  // namespace aim::iptables_nft
