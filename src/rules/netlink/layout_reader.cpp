#include "rules/netlink/layout_reader.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>

#include "rules/netlink/chain_answer.h"
#include "rules/netlink/socket.h"

namespace aim {
namespace {

// Compat target payloads (struct xt_log_info, struct xt_nflog_info): where
// the printed prefix sits and how long it may be.
constexpr size_t kLogPrefixOffset = 2, kLogPrefixSize = 30;
constexpr size_t kNflogPrefixOffset = 12, kNflogPrefixSize = 64;
constexpr uint8_t kUdataComment = 0;  // NFTNL_UDATA_RULE_COMMENT

uint32_t newlines_in(std::string_view bytes) {
  bytes = attribute_string(bytes);  // printed up to the first NUL
  return static_cast<uint32_t>(std::count(bytes.begin(), bytes.end(), '\n'));
}

uint32_t newlines_at(std::string_view info, size_t offset, size_t size) {
  if (info.size() <= offset) return 0;
  return newlines_in(info.substr(offset, size));
}

std::string nul_terminated(std::string_view s) { return std::string(s) + '\0'; }

// Newlines iptables prints for one rule: in the strings it prints raw or
// quoted. Anything not counted here that holds a newline makes the text
// disagree with the count, and the table is then unreadable (fail closed).
class RuleNewlines {
 public:
  bool add_expression(std::string_view element) {
    std::string_view name, data;
    if (!for_each_attribute(element, [&](uint16_t type, std::string_view value) {
          if (type == NFTA_EXPR_NAME) name = attribute_string(value);
          if (type == NFTA_EXPR_DATA) data = value;
        }))
      return false;
    std::optional<uint32_t> iface_register;
    bool ok = true;
    if (name == "meta") {
      uint32_t key = 0, dreg = 0;
      bool has_dreg = false;
      ok = for_each_attribute(data, [&](uint16_t type, std::string_view value) {
        if (type == NFTA_META_KEY) read_be32(value, key);
        if (type == NFTA_META_DREG) has_dreg = read_be32(value, dreg);
      });
      if (has_dreg && (key == NFT_META_IIFNAME || key == NFT_META_OIFNAME ||
                       key == NFT_META_BRI_IIFNAME || key == NFT_META_BRI_OIFNAME))
        iface_register = dreg;
    } else if (name == "cmp") {
      uint32_t sreg = 0;
      bool has_sreg = false;
      std::string_view value_data;
      bool nested_ok = true;
      ok = for_each_attribute(data, [&](uint16_t type, std::string_view value) {
        if (type == NFTA_CMP_SREG) has_sreg = read_be32(value, sreg);
        if (type == NFTA_CMP_DATA)
          nested_ok &= for_each_attribute(value, [&](uint16_t t, std::string_view v) {
            if (t == NFTA_DATA_VALUE) value_data = v;
          });
      });
      ok &= nested_ok;
      if (has_sreg && iface_register_ && *iface_register_ == sreg)
        count_ += newlines_in(value_data);
    } else if (name == "match" || name == "target") {
      compat_ = true;
      std::string_view xt_name, info;
      const bool match = name == "match";
      const uint16_t name_attr = match ? uint16_t{NFTA_MATCH_NAME} : uint16_t{NFTA_TARGET_NAME};
      const uint16_t info_attr = match ? uint16_t{NFTA_MATCH_INFO} : uint16_t{NFTA_TARGET_INFO};
      ok = for_each_attribute(data, [&](uint16_t type, std::string_view value) {
        if (type == name_attr) xt_name = attribute_string(value);
        if (type == info_attr) info = value;
      });
      if (name == "match" && xt_name == "comment") count_ += newlines_in(info);
      if (name == "target" && xt_name == "LOG")
        count_ += newlines_at(info, kLogPrefixOffset, kLogPrefixSize);
      if (name == "target" && xt_name == "NFLOG")
        count_ += newlines_at(info, kNflogPrefixOffset, kNflogPrefixSize);
    } else if (name == "log") {
      ok = for_each_attribute(data, [&](uint16_t type, std::string_view value) {
        if (type == NFTA_LOG_PREFIX) count_ += newlines_in(value);
      });
    }
    // iptables-nft compares an interface name right after loading it; a
    // register loaded earlier may hold anything by now.
    iface_register_ = iface_register;
    return ok;
  }

  // Rule user data: type-length-value records; type 0 is the comment.
  bool add_user_data(std::string_view udata) {
    while (udata.size() >= 2) {
      const auto type = static_cast<uint8_t>(udata[0]);
      const auto length = static_cast<uint8_t>(udata[1]);
      if (udata.size() < 2u + length) return false;
      if (type == kUdataComment) count_ += newlines_in(udata.substr(2, length));
      udata.remove_prefix(2u + length);
    }
    return udata.empty();
  }

  uint32_t count() const { return count_; }
  // An xtables (compat) match or target: nft prints these lossily.
  bool compat() const { return compat_; }

 private:
  bool compat_ = false;
  std::optional<uint32_t> iface_register_;
  uint32_t count_ = 0;
};

uint8_t nfproto_of(const std::string& family) {
  if (family == "ip") return NFPROTO_IPV4;
  if (family == "ip6") return NFPROTO_IPV6;
  if (family == "inet") return NFPROTO_INET;
  if (family == "arp") return NFPROTO_ARP;
  if (family == "bridge") return NFPROTO_BRIDGE;
  if (family == "netdev") return NFPROTO_NETDEV;
  return NFPROTO_UNSPEC;
}

// How nft names a stateful object type in its listing.
std::string object_kind(uint32_t type) {
  switch (type) {
    case NFT_OBJECT_COUNTER:
      return "counter";
    case NFT_OBJECT_QUOTA:
      return "quota";
    case NFT_OBJECT_CT_HELPER:
      return "ct helper";
    case NFT_OBJECT_LIMIT:
      return "limit";
    case NFT_OBJECT_CT_TIMEOUT:
      return "ct timeout";
    case NFT_OBJECT_SECMARK:
      return "secmark";
    case NFT_OBJECT_CT_EXPECT:
      return "ct expectation";
    case NFT_OBJECT_SYNPROXY:
      return "synproxy";
  }
  return "object type " + std::to_string(type);
}

Error layout_error(const std::string& what, int code = 0) {
  return Error{"reading the nf_tables layout to check iptables-nft-save's text: " + what, code};
}

// One chain's rules, in kernel order: `on_rule(handle, newlines)` for each
// (a dump filtered by table and chain: the whole family's dump makes the
// kernel re-walk from the start for every answer). Sets `malformed` when an
// answer cannot be walked.
Status read_chain_rules(NftNetlink& netlink, uint8_t nfproto, const std::string& table,
                        const std::string& chain, bool& malformed,
                        const std::function<void(const NativeRuleShape&)>& on_rule) {
  return netlink.request(
      NFT_MSG_GETRULE, nfproto,
      {{NFTA_RULE_TABLE, nul_terminated(table)}, {NFTA_RULE_CHAIN, nul_terminated(chain)}}, true,
      [&](const NftAnswer& a) {
        if (a.family != nfproto) return;
        RuleNewlines counter;
        std::string rule_table, rule_chain;
        uint64_t handle = 0;
        malformed |= !for_each_attribute(a.attributes, [&](uint16_t type, std::string_view v) {
          if (type == NFTA_RULE_TABLE) rule_table = attribute_string(v);
          if (type == NFTA_RULE_CHAIN) rule_chain = attribute_string(v);
          if (type == NFTA_RULE_HANDLE) read_be64(v, handle);
          if (type == NFTA_RULE_USERDATA) malformed |= !counter.add_user_data(v);
          if (type == NFTA_RULE_EXPRESSIONS)
            malformed |= !for_each_attribute(v, [&](uint16_t t, std::string_view element) {
              if (t == NFTA_LIST_ELEM) malformed |= !counter.add_expression(element);
            });
        });
        // A kernel without per-chain filtering would answer every rule.
        if (rule_table != table || rule_chain != chain) return;
        on_rule({handle, counter.count(), counter.compat()});
      });
}

}  // namespace

Result<KernelLayout> read_kernel_layout(Family family) {
  const uint8_t nfproto = family == Family::V6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
  auto netlink = NftNetlink::open();
  if (!netlink) return layout_error(netlink.error());
  KernelLayout layout;
  bool malformed = false;

  Status st = netlink->request(NFT_MSG_GETTABLE, nfproto, {}, true, [&](const NftAnswer& a) {
    if (a.family != nfproto) return;
    malformed |= !for_each_attribute(a.attributes, [&](uint16_t type, std::string_view value) {
      if (type == NFTA_TABLE_NAME && table_rank(attribute_string(value)))
        layout.tables[std::string(attribute_string(value))];
    });
  });
  if (!st) return layout_error("tables: " + st.error(), st.error_code());

  st = netlink->request(NFT_MSG_GETCHAIN, nfproto, {}, true, [&](const NftAnswer& a) {
    if (a.family != nfproto) return;
    NftChainAnswer answer;
    malformed |= !parse_chain_answer(a.attributes, answer);
    const std::string& table = answer.table;
    const std::string& chain = answer.name;
    auto it = layout.tables.find(table);
    if (it == layout.tables.end()) return;
    if (!unambiguous_chain_name(chain) && it->second.unreadable.empty())
      it->second.unreadable =
          "a chain name holds a space, quote, backslash or control character, "
          "so iptables-nft-save's text of this table cannot be split "
          "unambiguously; list it with 'nft list table " +
          std::string(family == Family::V6 ? "ip6 " : "ip ") + table + "'";
    it->second.chains[chain];
  });
  if (!st) return layout_error("chains: " + st.error(), st.error_code());

  for (auto& [table, contents] : layout.tables) {
    if (!contents.unreadable.empty()) continue;
    for (auto& [chain, rules] : contents.chains) {
      KernelChain& counts = rules;
      st = read_chain_rules(
          *netlink, nfproto, table, chain, malformed,
          [&counts](const NativeRuleShape& r) { counts.rule_newlines.push_back(r.newlines); });
      if (!st)
        return layout_error("rules of " + table + " " + chain + ": " + st.error(), st.error_code());
    }
  }
  if (malformed) return layout_error("the kernel's answer is malformed");
  return layout;
}

Result<NativeTableShape> read_native_shape(const NftTable& table) {
  const uint8_t nfproto = nfproto_of(table.family);
  auto netlink = NftNetlink::open();
  if (!netlink) return layout_error(netlink.error());
  NativeTableShape shape{table.family, table.name, 0, {}};
  bool malformed = false;
  const NetlinkAttribute table_attr{NFTA_TABLE_NAME, nul_terminated(table.name)};
  // Every kind of object a table holds, from one dump each, kept if it is
  // this table's. `table_attr_type` is the kind's "table" attribute.
  auto dump = [&](uint16_t message, uint16_t table_attr_type,
                  const std::function<void(std::string_view)>& one) -> Status {
    return netlink->request(
        message, nfproto, {{table_attr_type, table_attr.value}}, true, [&](const NftAnswer& a) {
          if (a.family != nfproto) return;
          std::string owner;
          malformed |= !for_each_attribute(a.attributes, [&](uint16_t type, std::string_view v) {
            if (type == table_attr_type) owner = attribute_string(v);
          });
          if (owner == table.name) one(a.attributes);
        });
  };
  bool found = false;
  Status st = dump(NFT_MSG_GETTABLE, NFTA_TABLE_NAME, [&](std::string_view attrs) {
    found = true;
    malformed |= !for_each_attribute(attrs, [&](uint16_t type, std::string_view v) {
      if (type == NFTA_TABLE_HANDLE) read_be64(v, shape.handle);
    });
  });
  if (!st)
    return layout_error("table " + table.family + " " + table.name + ": " + st.error(),
                        st.error_code());
  if (!found) return layout_error("table " + table.family + " " + table.name + " is gone");
  st = dump(NFT_MSG_GETSET, NFTA_SET_TABLE, [&](std::string_view attrs) {
    NativeBlockShape b{"set", "", 0, {}};
    uint32_t flags = 0;
    malformed |= !for_each_attribute(attrs, [&](uint16_t type, std::string_view v) {
      if (type == NFTA_SET_NAME) b.name = attribute_string(v);
      if (type == NFTA_SET_HANDLE) read_be64(v, b.handle);
      if (type == NFTA_SET_FLAGS) read_be32(v, flags);
    });
    if (flags & NFT_SET_ANONYMOUS) return;  // printed inside its rule
    if (flags & (NFT_SET_MAP | NFT_SET_OBJECT)) b.kind = "map";
    shape.blocks.push_back(std::move(b));
  });
  if (st)
    st = dump(NFT_MSG_GETOBJ, NFTA_OBJ_TABLE, [&](std::string_view attrs) {
      NativeBlockShape b{"", "", 0, {}};
      uint32_t type_id = 0;
      malformed |= !for_each_attribute(attrs, [&](uint16_t type, std::string_view v) {
        if (type == NFTA_OBJ_NAME) b.name = attribute_string(v);
        if (type == NFTA_OBJ_HANDLE) read_be64(v, b.handle);
        if (type == NFTA_OBJ_TYPE) read_be32(v, type_id);
      });
      b.kind = object_kind(type_id);
      shape.blocks.push_back(std::move(b));
    });
  if (st)
    st = dump(NFT_MSG_GETFLOWTABLE, NFTA_FLOWTABLE_TABLE, [&](std::string_view attrs) {
      NativeBlockShape b{"flowtable", "", 0, {}};
      malformed |= !for_each_attribute(attrs, [&](uint16_t type, std::string_view v) {
        if (type == NFTA_FLOWTABLE_NAME) b.name = attribute_string(v);
        if (type == NFTA_FLOWTABLE_HANDLE) read_be64(v, b.handle);
      });
      shape.blocks.push_back(std::move(b));
    });
  if (st)
    st = dump(NFT_MSG_GETCHAIN, NFTA_CHAIN_TABLE, [&](std::string_view attrs) {
      NftChainAnswer answer;
      malformed |= !parse_chain_answer(attrs, answer);
      shape.blocks.push_back({"chain", std::move(answer.name), answer.handle, {}});
    });
  if (!st)
    return layout_error("table " + table.family + " " + table.name + ": " + st.error(),
                        st.error_code());
  for (NativeBlockShape& block : shape.blocks) {
    if (block.kind != "chain") continue;
    std::vector<NativeRuleShape>& rules = block.rules;
    st = read_chain_rules(*netlink, nfproto, table.name, block.name, malformed,
                          [&rules](const NativeRuleShape& r) { rules.push_back(r); });
    if (!st)
      return layout_error(
          "rules of " + table.family + " " + table.name + " " + block.name + ": " + st.error(),
          st.error_code());
  }
  if (malformed) return layout_error("the kernel's answer is malformed");
  return shape;
}

Result<NativeTableShape> read_native_chain_shape(const NftTable& table, const std::string& chain) {
  const uint8_t nfproto = nfproto_of(table.family);
  auto netlink = NftNetlink::open();
  if (!netlink) return layout_error(netlink.error());
  NativeTableShape shape{table.family, table.name, 0, {}};
  NativeBlockShape block{"chain", chain, 0, {}};
  bool malformed = false, found = false;
  Status st = netlink->request(
      NFT_MSG_GETCHAIN, nfproto,
      {{NFTA_CHAIN_TABLE, nul_terminated(table.name)}, {NFTA_CHAIN_NAME, nul_terminated(chain)}},
      false, [&](const NftAnswer& a) {
        NftChainAnswer answer;
        malformed |= !parse_chain_answer(a.attributes, answer);
        if (a.family != nfproto || answer.table != table.name || answer.name != chain) return;
        found = true;
        block.handle = answer.handle;
      });
  if (!st && st.error_code() != ENOENT)
    return layout_error("chain " + chain + ": " + st.error(), st.error_code());
  if (!found) return layout_error("chain " + chain + " of " + table.name + " is gone", ENOENT);
  st = read_chain_rules(*netlink, nfproto, table.name, chain, malformed,
                        [&block](const NativeRuleShape& r) { block.rules.push_back(r); });
  if (!st) return layout_error("rules of " + chain + ": " + st.error(), st.error_code());
  if (malformed) return layout_error("the kernel's answer is malformed");
  shape.blocks.push_back(std::move(block));
  return shape;
}

}  // namespace aim
