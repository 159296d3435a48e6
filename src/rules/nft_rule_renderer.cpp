#include "rules/nft_rule_renderer.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>

#include "rules/legacy_format.h"
#include "rules/nft_netlink.h"
#include "rules/nft_shim.h"
#include "rules/nft_tables.h"
#include "rules/nft_translate.h"
#include "rules/rule_stream.h"

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
    malformed |= !for_each_attribute(a.attributes, [&](uint16_t type, std::string_view v) {
      uint32_t n = 0;
      if (type == NFTA_CHAIN_TABLE) table = attribute_string(v);
      if (type == NFTA_CHAIN_NAME) c.name = attribute_string(v);
      if (type == NFTA_CHAIN_TYPE) c.type = attribute_string(v);
      if (type == NFTA_CHAIN_POLICY && read_be32(v, n)) c.policy = n;
      if (type == NFTA_CHAIN_HOOK)
        malformed |= !for_each_attribute(v, [&](uint16_t t, std::string_view hv) {
          uint32_t m = 0;
          if (t == NFTA_HOOK_HOOKNUM && read_be32(hv, m)) c.hook = m;
          if (t == NFTA_HOOK_PRIORITY && read_be32(hv, m)) c.priority = static_cast<int32_t>(m);
        });
    });
    if (table_rank(table)) chains[table].push_back(std::move(c));
  });
  if (!st) return Error{"listing chains: " + st.error()};
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

// Renders one table; empty, or why it must be listed by iptables-nft-save
// (or, starting without the fallback mark, a read error).
std::string render_table(NftNetlink& netlink, Family family, const std::string& table,
                         std::vector<ChainInfo> chains, RuleStreamWriter& out) {
  const BuiltinTable* t = builtin_table(table);
  if (!t) return std::string(kNftFallbackMark) + "not an iptables table";
  std::vector<ShownChain> shown;
  if (auto why = shown_chains(*t, std::move(chains), shown); !why.empty())
    return std::string(kNftFallbackMark) + why;
  const uint8_t proto = nfproto(family);
  for (const ShownChain& chain : shown) {
    out.begin_chain(chain.name, chain.header);
    if (!chain.in_kernel) continue;
    std::string why;
    bool malformed = false;
    size_t index = 0;
    const Status st = netlink.request(
        NFT_MSG_GETRULE, proto,
        {{NFTA_RULE_TABLE, nul_terminated(table)}, {NFTA_RULE_CHAIN, nul_terminated(chain.name)}},
        true, [&](const NftAnswer& a) {
          if (a.family != proto || !why.empty()) return;
          std::string_view rule_table, rule_chain, expressions;
          std::optional<std::string> userdata;
          malformed |= !for_each_attribute(a.attributes, [&](uint16_t type, std::string_view v) {
            if (type == NFTA_RULE_TABLE) rule_table = attribute_string(v);
            if (type == NFTA_RULE_CHAIN) rule_chain = attribute_string(v);
            if (type == NFTA_RULE_EXPRESSIONS) expressions = v;
            if (type == NFTA_RULE_USERDATA) userdata = std::string(v);
          });
          if (rule_table != table || rule_chain != chain.name) {
            why = "the kernel answered a rule of another chain";
            return;
          }
          ++index;
          auto parts = translate_nft_rule(expressions, userdata ? &*userdata : nullptr, family);
          if (!parts) {
            why = std::string(kNftFallbackMark) + "rule " + std::to_string(index) + " of chain " +
                  chain.name + ": " + parts.error();
            return;
          }
          out.begin_rule();
          std::string print_error = print_rule(chain.name, *parts);
          std::fputc('\n', stdout);
          out.end_rule();
          if (!print_error.empty())
            why = std::string(kNftFallbackMark) + "rule " + std::to_string(index) + " of chain " +
                  chain.name + ": " + print_error;
        });
    if (!st) return "reading the rules of chain " + chain.name + ": " + st.error();
    if (malformed) return "the kernel's answer for chain " + chain.name + " is malformed";
    if (!why.empty()) return why;
  }
  return {};
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

int render_nft_family(Family family) {
  if (aim_nft_xtables_init(family == Family::V6 ? 6 : 4, on_fatal) < 0) {
    std::fprintf(stderr, "cannot initialise libxtables\n");
    return 4;
  }
  auto tables = iptables_nft_tables(family);
  if (!tables) {
    std::fprintf(stderr, "%s\n", tables.error().c_str());
    return 5;
  }
  auto netlink = NftNetlink::open();
  if (!netlink) {
    std::fprintf(stderr, "%s\n", netlink.error().c_str());
    return 5;
  }
  auto chains = read_chains(*netlink, family);
  if (!chains) {
    std::fprintf(stderr, "%s\n", chains.error().c_str());
    return 5;
  }
  RuleStreamWriter out(stdout);
  for (const std::string& table : *tables) {
    out.begin_table(table);
    std::string error = render_table(*netlink, family, table, (*chains)[table], out);
    if (error.empty())
      out.end_table();
    else
      out.table_error(error);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace aim
