#include "rules/nft/helper.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <malloc.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "rules/changes/sources.h"
#include "rules/child/rule_stream.h"
#include "rules/child/served_child.h"
#include "rules/legacy/format.h"
#include "rules/netlink/socket.h"
#include "rules/netlink/tables.h"
#include "rules/nft/shim.h"
#include "rules/nft/translate.h"

namespace aim {
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

struct ChainInfo {
  std::string name;
  uint64_t handle = 0;  // stays the same through a rename
  std::optional<uint32_t> hook;
  std::optional<int32_t> priority;
  std::optional<uint32_t> policy;
  std::string type;
};

uint8_t nfproto(Family family) { return family == Family::V6 ? NFPROTO_IPV6 : NFPROTO_IPV4; }

std::string nul_terminated(std::string_view s) { return std::string(s) + '\0'; }

[[noreturn]] void on_fatal(const char* message) {
  std::fflush(stdout);
  std::fprintf(stderr, "libxtables: %s\n", message);
  std::fflush(stderr);
  _exit(3);
}

// One chain of a GETCHAIN answer and its table; false when malformed.
bool parse_chain(const NftAnswer& a, std::string& table, ChainInfo& c) {
  bool malformed = false;
  malformed |= !for_each_attribute(a.attributes, [&](uint16_t type, std::string_view v) {
    uint32_t n = 0;
    if (type == NFTA_CHAIN_TABLE) table = attribute_string(v);
    if (type == NFTA_CHAIN_NAME) c.name = attribute_string(v);
    if (type == NFTA_CHAIN_HANDLE) read_be64(v, c.handle);
    if (type == NFTA_CHAIN_TYPE) c.type = attribute_string(v);
    if (type == NFTA_CHAIN_POLICY && read_be32(v, n)) c.policy = n;
    if (type == NFTA_CHAIN_HOOK)
      malformed |= !for_each_attribute(v, [&](uint16_t t, std::string_view hv) {
        uint32_t m = 0;
        if (t == NFTA_HOOK_HOOKNUM && read_be32(hv, m)) c.hook = m;
        if (t == NFTA_HOOK_PRIORITY && read_be32(hv, m)) c.priority = static_cast<int32_t>(m);
      });
  });
  return !malformed;
}

// The chains of every iptables table of the family, from one dump.
Result<std::map<std::string, std::vector<ChainInfo>>> read_chains(NftNetlink& netlink,
                                                                  Family family) {
  std::map<std::string, std::vector<ChainInfo>> chains;
  bool malformed = false;
  const uint8_t proto = nfproto(family);
  Status st = netlink.request(NFT_MSG_GETCHAIN, proto, {}, true, [&](const NftAnswer& a) {
    if (a.family != proto) return;
    ChainInfo c;
    std::string table;
    malformed |= !parse_chain(a, table, c);
    if (table_rank(table)) chains[table].push_back(std::move(c));
  });
  if (!st) return Error{"listing chains: " + st.error(), st.error_code()};
  if (malformed) return Error{"listing chains: the kernel's answer is malformed"};
  return chains;
}

// One chain as iptables-nft -S shows it.
struct ShownChain {
  std::string name;
  std::string header;
  bool in_kernel;
};

// Orders a table's chains as iptables-nft lists them: base chains by hook
// (built-in ones the kernel lacks shown empty with policy ACCEPT), then the
// others by name. Empty on success, else why the table is not shown as is.
std::string shown_chains(const BuiltinTable& t, std::vector<ChainInfo> chains,
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

// Reads the ruleset generation on `netlink`.
Result<uint32_t> read_generation(NftNetlink& netlink) {
  std::optional<uint32_t> id;
  const Status st =
      netlink.request(NFT_MSG_GETGEN, NFPROTO_UNSPEC, {}, false, [&](const NftAnswer& answer) {
        for_each_attribute(answer.attributes, [&](uint16_t type, std::string_view value) {
          uint32_t v = 0;
          if (type == NFTA_GEN_ID && read_be32(value, v)) id = v;
        });
      });
  if (!st) return Error{"reading the ruleset generation: " + st.error(), st.error_code()};
  if (!id) return Error{"the kernel's generation answer has no id"};
  return *id;
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
  std::string text() {
    std::fflush(memory_);
    return std::string(data_ ? data_ : "", size_);
  }

 private:
  FILE* saved_;
  char* data_ = nullptr;
  size_t size_ = 0;
  FILE* memory_;
};

// One table being read: its chain list and each chain's rules, rendered
// as rule records (rule_stream.h).
struct TableRead {
  std::string name;
  std::vector<ChainInfo> chains;
  std::set<std::string, std::less<>> chain_names;  // of `chains`
  std::map<std::string, std::string, std::less<>> rule_records;
  std::string problem;  // set: the table is shown as this error record
};

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
  bool malformed = false;
  size_t index = 0;
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
        auto parts = translate_nft_rule(expressions, userdata ? &*userdata : nullptr, family);
        if (!parts) {
          out.native_rule(handle, "rule " + std::to_string(index) + ": " + parts.error());
          return;
        }
        // iptables refuses "-j DROP" in nat ("not intended for filtering"):
        // no iptables text builds such a rule.
        if (table.name == "nat" && parts->action.kind == NftAction::Kind::Drop) {
          out.native_rule(handle, "rule " + std::to_string(index) +
                                      ": a DROP in the nat table, which iptables refuses to write");
          return;
        }
        const long start = std::ftell(stdout);
        out.begin_rule();
        std::string print_error = print_rule(chain, *parts);
        std::fputc('\n', stdout);
        out.end_rule();
        if (print_error.empty()) return;
        // What was printed of it is not its text: take it back.
        if (start < 0 || std::fseek(stdout, start, SEEK_SET) != 0) {
          why = "cannot take back a rule's partial text";
          return;
        }
        out.native_rule(handle, "rule " + std::to_string(index) + ": " + print_error);
      });
  if (!st) return Error{"reading the rules of chain " + chain + ": " + st.error(), st.error_code()};
  if (malformed) why = "the kernel's answer for chain " + chain + " is malformed";
  if (!why.empty()) {
    table.problem = why;
    return Ok{};
  }
  table.rule_records[chain] = captured.text();
  return Ok{};
}

// Reads the chain lists of `tables` again (one dump for the family).
Status reread_chain_lists(NftNetlink& netlink, Family family, std::vector<TableRead>& tables) {
  auto chains = read_chains(netlink, family);
  if (!chains) return Error{chains.error(), chains.error_code()};
  for (TableRead& t : tables) {
    t.chains = std::move((*chains)[t.name]);
    t.chain_names.clear();
    for (const ChainInfo& c : t.chains) t.chain_names.insert(c.name);
    std::erase_if(t.rule_records,
                  [&](const auto& entry) { return !t.chain_names.contains(entry.first); });
  }
  return Ok{};
}

// Reads one chain's header again (a commit created, changed or deleted it):
// one request instead of the whole list (40,000 chains at 10,000 services).
Status reread_chain(NftNetlink& netlink, Family family, TableRead& table,
                    const std::string& chain) {
  const uint8_t proto = nfproto(family);
  std::optional<ChainInfo> found;
  bool malformed = false;
  const Status st = netlink.request(
      NFT_MSG_GETCHAIN, proto,
      {{NFTA_CHAIN_TABLE, nul_terminated(table.name)}, {NFTA_CHAIN_NAME, nul_terminated(chain)}},
      false, [&](const NftAnswer& a) {
        ChainInfo c;
        std::string in_table;
        malformed |= !parse_chain(a, in_table, c);
        if (a.family == proto && in_table == table.name && c.name == chain) found = std::move(c);
      });
  if (!st && st.error_code() != ENOENT)
    return Error{"reading chain " + chain + ": " + st.error(), st.error_code()};
  if (malformed) return Error{"the kernel's answer for chain " + chain + " is malformed"};
  std::erase_if(table.chains, [&](const ChainInfo& c) { return c.name == chain; });
  if (found) {
    table.chains.push_back(std::move(*found));
    table.chain_names.insert(chain);
  } else {
    table.chain_names.erase(chain);
    table.rule_records.erase(chain);
  }
  return Ok{};
}

// The family's iptables tables as they were at one generation.
struct FamilySnapshot {
  uint32_t generation = 0;
  // The newest generation whose end (NEWGEN) was read from the monitor:
  // notifications read ahead are not waited for again.
  std::optional<uint32_t> newest_told;
  size_t repaired_chains = 0;  // read again after commits during the read
  std::vector<TableRead> tables;
};

using Dirty = std::map<std::string, std::set<std::string>, std::less<>>;  // table -> chains

enum class Repair { Chains, Restart };

// Sorts the notifications of the commits since the last look into chains to
// read again (`dirty`) and chains whose header to read again (`chains`);
// Restart when they touched the family's iptables tables in a
// way a chain re-read cannot follow (a table or set came or went).
Repair note_changes(const std::vector<NftNotification>& changes, uint8_t proto,
                    const std::vector<TableRead>& tables, Dirty& dirty, Dirty& chains) {
  for (const NftNotification& n : changes) {
    if (n.type == NFT_MSG_NEWGEN || n.family != proto || !table_rank(n.table)) continue;
    const bool ours = std::any_of(tables.begin(), tables.end(),
                                  [&](const TableRead& t) { return t.name == n.table; });
    if (!ours) return Repair::Restart;  // an iptables table appeared
    switch (n.type) {
      case NFT_MSG_NEWRULE:
      case NFT_MSG_DELRULE:
        dirty[n.table].insert(n.chain);
        break;
      case NFT_MSG_NEWCHAIN:
      case NFT_MSG_DELCHAIN: {
        // A rename (iptables -E) is told under the new name only, and every
        // rule jumping to the chain shows the new name without being told.
        const TableRead& t = *std::find_if(tables.begin(), tables.end(),
                                           [&](const TableRead& t) { return t.name == n.table; });
        if (n.type == NFT_MSG_NEWCHAIN && n.chain_handle != 0 &&
            std::any_of(t.chains.begin(), t.chains.end(), [&](const ChainInfo& c) {
              return c.handle == n.chain_handle && c.name != n.chain;
            }))
          return Repair::Restart;
        chains[n.table].insert(n.chain);
        dirty[n.table].insert(n.chain);
        break;
      }
      default:
        return Repair::Restart;
    }
  }
  return Repair::Chains;
}

// Reads what the monitor has, noting the newest commit end (NEWGEN) seen.
// False when notifications were lost.
bool receive_changes(NftChangeMonitor& monitor, std::chrono::milliseconds wait,
                     std::vector<NftNotification>& changes, std::optional<uint32_t>& newest) {
  const size_t before = changes.size();
  const bool intact = monitor.receive(changes, wait);
  for (size_t i = before; i < changes.size(); ++i)
    if (changes[i].type == NFT_MSG_NEWGEN &&
        (!newest || static_cast<int32_t>(changes[i].generation - *newest) > 0))
      newest = changes[i].generation;
  return intact;
}

// Waits (a bounded time) until the notifications of every commit up to
// `generation` have been read: the kernel sends them, then NEWGEN, at the
// end of each commit.
bool collect_until(NftChangeMonitor& monitor, uint32_t generation,
                   std::vector<NftNotification>& changes, std::optional<uint32_t>& newest) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (;;) {
    if (newest && static_cast<int32_t>(*newest - generation) >= 0) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (!receive_changes(monitor, std::max(left, std::chrono::milliseconds(1)), changes, newest))
      return false;
  }
}

// Brings `snapshot` (read at snapshot.generation) up to date: reads the
// `dirty` chains, then, while commits land, the chains their notifications
// name, until a generation passes with no change to the family's iptables
// tables. A repair costs only the changed chains, so a 10,000-service table
// under a kube-proxy sync every second is read once, not again and again.
// Without the notifications (no monitor), any commit fails the snapshot.
// Chains read in round `count_from` and later count as repaired. EAGAIN:
// no consistent state was had; read everything again.
Status follow_commits(NftNetlink& netlink, NftChangeMonitor* monitor, Family family,
                      FamilySnapshot& snapshot, Dirty dirty, int count_from,
                      std::string& last_change) {
  const uint8_t proto = nfproto(family);
  uint32_t generation = snapshot.generation;
  constexpr int kRepairRounds = 20;
  for (int round = 0; round <= kRepairRounds; ++round) {
    // Read what is dirty; a chain that changed under the dump stays dirty.
    Dirty again;
    for (TableRead& t : snapshot.tables) {
      auto it = dirty.find(t.name);
      if (it == dirty.end()) continue;
      if (!t.problem.empty()) {
        // A table that could not be shown changed: all of it again.
        t.problem.clear();
        t.rule_records.clear();
        for (const ChainInfo& c : t.chains) it->second.insert(c.name);
      }
      for (const std::string& chain : it->second) {
        // Deleted: reread_chain dropped its rules.
        if (!t.chain_names.contains(chain)) continue;
        if (round >= count_from) ++snapshot.repaired_chains;
        Status st = render_chain(netlink, family, t, chain);
        if (!st && st.error_code() != EAGAIN && st.error_code() != ENOENT)
          return Error{st.error(), st.error_code()};
        if (!st) again[t.name].insert(chain);
        if (!t.problem.empty()) break;
      }
    }
    auto now = read_generation(netlink);
    if (!now) return Error{now.error(), now.error_code()};
    std::vector<NftNotification> changes;
    if (*now == generation && !monitor) {
      if (again.empty()) return Ok{};
      dirty = std::move(again);
      continue;
    }
    if (*now == generation) {
      // GETGEN moves when a commit starts, before the commit has applied
      // everything: wait for any commit under way to end, then take the
      // notifications of every commit up to here.
      auto settled = netlink.generation_settled(generation);
      if (!settled) return Error{settled.error(), settled.error_code()};
      if (!*settled) {  // a commit started: the next round sees it
        dirty = std::move(again);
        continue;
      }
      if (!receive_changes(*monitor, std::chrono::milliseconds(0), changes, snapshot.newest_told))
        return Error{"generation " + std::to_string(generation) + ", some changes not seen",
                     EAGAIN};
    } else {
      last_change = "generation " + std::to_string(generation) + " -> " + std::to_string(*now);
      if (!monitor) return Error{last_change, EAGAIN};
      if (!collect_until(*monitor, *now, changes, snapshot.newest_told))
        return Error{last_change + ", some changes not seen", EAGAIN};
    }
    dirty = std::move(again);
    Dirty chains;
    if (note_changes(changes, proto, snapshot.tables, dirty, chains) == Repair::Restart)
      return Error{last_change + ", a table or set changed", EAGAIN};
    for (TableRead& t : snapshot.tables)
      if (auto it = chains.find(t.name); it != chains.end())
        for (const std::string& chain : it->second)
          if (Status st = reread_chain(netlink, family, t, chain); !st)
            return Error{st.error(), st.error_code()};
    if (*now == generation && dirty.empty() && chains.empty()) {
      // Settled, and nothing of ours was told since it was read: this is
      // the ruleset at `generation`.
      snapshot.generation = generation;
      return Ok{};
    }
    generation = *now;
  }
  return Error{last_change + ", still changing after " + std::to_string(kRepairRounds) + " repairs",
               EAGAIN};
}

// One full read (then the repairs commits during it need).
Result<FamilySnapshot> read_snapshot(NftNetlink& netlink, NftChangeMonitor* monitor, Family family,
                                     std::string& last_change) {
  FamilySnapshot snapshot;
  // What was told before is about an older state: this read starts afresh.
  std::vector<NftNotification> discarded;
  if (monitor) monitor->receive(discarded, std::chrono::milliseconds(0));
  auto generation = read_generation(netlink);
  if (!generation) return Error{generation.error(), generation.error_code()};
  // No commit half done at the start: without the monitor, an equal
  // generation at the end then means nothing changed in between.
  auto settled = netlink.generation_settled(*generation);
  if (!settled) return Error{settled.error(), settled.error_code()};
  if (!*settled) return Error{"a commit was under way", EAGAIN};
  snapshot.generation = *generation;
  auto names = iptables_nft_tables(family);
  if (!names) return Error{names.error(), names.error_code()};
  for (const std::string& name : *names) snapshot.tables.push_back({name, {}, {}, {}, {}});
  if (Status st = reread_chain_lists(netlink, family, snapshot.tables); !st)
    return Error{st.error(), st.error_code()};
  Dirty dirty;
  for (const TableRead& t : snapshot.tables)
    for (const ChainInfo& c : t.chains) dirty[t.name].insert(c.name);
  if (Status st =
          follow_commits(netlink, monitor, family, snapshot, std::move(dirty), 1, last_change);
      !st)
    return Error{st.error(), st.error_code()};
  return snapshot;
}

// The family's snapshot, up to date: `kept` (from an earlier call, with the
// monitor listening since) brought up to date by what commits since touched,
// or a full read. EAGAIN: the ruleset kept changing through every attempt.
Result<FamilySnapshot*> up_to_date_snapshot(NftNetlink& netlink, NftChangeMonitor* monitor,
                                            Family family, std::optional<FamilySnapshot>& kept) {
  std::string last_change;
  // Well inside the reader's timeout (120 s), so that the helper answers
  // rather than being killed with its snapshot.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  for (int attempt = 1; attempt <= kNftSnapshotAttempts; ++attempt) {
    if (attempt > 1 && std::chrono::steady_clock::now() > give_up) break;
    if (kept && monitor) {
      kept->repaired_chains = 0;
      Status st = follow_commits(netlink, monitor, family, *kept, {}, 0, last_change);
      if (st) return &*kept;
      kept.reset();
      if (st.error_code() != EAGAIN) return Error{st.error(), st.error_code()};
      continue;
    }
    auto fresh = read_snapshot(netlink, monitor, family, last_change);
    if (fresh) {
      kept = std::move(*fresh);
      return &*kept;
    }
    if (fresh.error_code() != EAGAIN) return Error{fresh.error(), fresh.error_code()};
  }
  return Error{"the nftables ruleset changed during each of " +
                   std::to_string(kNftSnapshotAttempts) + " reads (last: " + last_change +
                   "); the next check reads again",
               EAGAIN};
}

// Writes one table's records; the chain order is iptables-nft's.
void write_table(TableRead& table, RuleStreamWriter& out, FILE* file) {
  out.begin_table(table.name);
  const BuiltinTable* t = builtin_table(table.name);
  std::string why = table.problem;
  std::vector<ShownChain> shown;
  if (why.empty() && !t) why = std::string(kNftNativeTableMark) + "not an iptables table";
  if (why.empty()) {
    if (auto layout = shown_chains(*t, table.chains, shown); !layout.empty())
      why = std::string(kNftNativeTableMark) + layout;
  }
  if (!why.empty()) {
    out.table_error(why);
    return;
  }
  for (const ShownChain& chain : shown) {
    out.begin_chain(chain.name, chain.header);
    if (!chain.in_kernel) continue;
    auto records = table.rule_records.find(chain.name);
    if (records != table.rule_records.end())
      std::fwrite(records->second.data(), 1, records->second.size(), file);
  }
  out.end_table();
}

}  // namespace

Result<std::vector<std::string>> iptables_nft_tables(Family family) {
  auto all = list_nft_tables();
  if (!all) return Error{all.error(), all.error_code()};
  const std::string word = family == Family::V6 ? "ip6" : "ip";
  std::vector<std::string> out;
  for (std::string_view name : kTableOrder)
    for (const NftTable& t : *all)
      if (t.family == word && t.name == name) out.push_back(t.name);
  return out;
}

namespace {

// The child's setup: libxtables for the family, the netlink socket and the
// change monitor. Nonzero: the exit status (the reason is on stderr).
struct ReaderSetup {
  std::optional<NftNetlink> netlink;
  NftChangeMonitor monitor;
  bool listening = false;
  int failed = 0;
};

ReaderSetup set_up(Family family) {
  ReaderSetup setup;
  if (aim_nft_xtables_init(family == Family::V6 ? 6 : 4, on_fatal) < 0) {
    std::fprintf(stderr, "cannot initialise libxtables\n");
    setup.failed = 4;
    return setup;
  }
  auto netlink = NftNetlink::open();
  if (!netlink) {
    std::fprintf(stderr, "%s\n", netlink.error().c_str());
    setup.failed = 5;
    return setup;
  }
  setup.netlink.emplace(std::move(*netlink));
  // Listening before the first read: every commit during it is then told.
  // 8 MiB holds the notifications of thousands of rule changes.
  setup.listening = static_cast<bool>(setup.monitor.open(8 * 1024 * 1024));
  return setup;
}

void write_snapshot(FamilySnapshot& snapshot, FILE* file) {
  RuleStreamWriter out(file);
  std::vector<std::string> names;
  for (const TableRead& t : snapshot.tables) names.push_back(t.name);
  out.snapshot(snapshot.generation, snapshot.repaired_chains, names);
  for (TableRead& table : snapshot.tables) write_table(table, out, file);
  std::fflush(file);
}

int status_of(const Error& error) { return error.code == EAGAIN ? kNftRulesetChangedStatus : 5; }

}  // namespace

int render_nft_family(Family family) {
  ReaderSetup setup = set_up(family);
  if (setup.failed) return setup.failed;
  std::optional<FamilySnapshot> kept;
  auto snapshot =
      up_to_date_snapshot(*setup.netlink, setup.listening ? &setup.monitor : nullptr, family, kept);
  if (!snapshot) {
    std::fprintf(stderr, "%s\n", snapshot.error().c_str());
    return status_of(Error{snapshot.error(), snapshot.error_code()});
  }
  write_snapshot(**snapshot, stdout);
  return 0;
}

int serve_nft_family(Family family, int requests) {
  ReaderSetup setup = set_up(family);
  if (setup.failed) return setup.failed;
  std::optional<FamilySnapshot> kept;
  for (;;) {
    char request = 0;
    const ssize_t n = recv(requests, &request, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;  // the service closed its end: done
    ServedAnswer answer;
    auto snapshot = up_to_date_snapshot(*setup.netlink, setup.listening ? &setup.monitor : nullptr,
                                        family, kept);
    if (!snapshot && snapshot.error_code() != EAGAIN) {
      // The socket may be mid-dump (a timeout): a fresh one for the next.
      auto reopened = NftNetlink::open();
      if (reopened) setup.netlink.emplace(std::move(*reopened));
    }
    UniqueFd output;
    if (snapshot) {
      auto memfd = make_memfd("aim-nft-snapshot");
      FILE* file = memfd ? fdopen(dup(memfd->get()), "w") : nullptr;
      if (file) {
        write_snapshot(**snapshot, file);
        const bool written = !std::ferror(file);
        std::fclose(file);
        if (written) output = std::move(*memfd);
      }
      if (!output.valid()) answer = {5, "cannot write the snapshot to memory"};
    } else {
      answer = {status_of(Error{snapshot.error(), snapshot.error_code()}), snapshot.error()};
    }
    if (!send_served_answer(requests, answer, output.valid() ? output.get() : -1)) return 0;
    // Resident between checks: what a full read freed goes back to the
    // system rather than staying in the allocator's free lists.
    malloc_trim(0);
  }
}

}  // namespace aim
