#include "rules/nft/expected.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <linux/netfilter_ipv6/ip6t_REJECT.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <utility>

#include "rules/legacy/xt_save_limits.h"
#include "rules/netlink/attributes.h"

namespace aim {
namespace {

using Attrs = std::vector<std::pair<uint16_t, std::string>>;

// The canonical text is built by appending to one string: a 10,000-service
// read builds it for ~2 million expressions, on both sides.
void append_hex(std::string& out, std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const size_t at = out.size();
  out.resize(at + bytes.size() * 2);
  char* p = out.data() + at;
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    *p++ = kDigits[b >> 4];
    *p++ = kDigits[b & 0xf];
  }
}

std::string hex(std::string_view bytes) {
  std::string out;
  append_hex(out, bytes);
  return out;
}

void append_number(std::string& out, unsigned value) {
  char digits[16];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

// "TYPE=VALUE,..." in type order (stable: repeated types keep their order).
void append_joined(std::string& out, Attrs& attrs) {
  const auto by_type = [](const auto& a, const auto& b) { return a.first < b.first; };
  if (!std::is_sorted(attrs.begin(), attrs.end(), by_type))
    std::stable_sort(attrs.begin(), attrs.end(), by_type);
  bool first = true;
  for (const auto& [type, value] : attrs) {
    if (!first) out += ',';
    first = false;
    append_number(out, type);
    out += '=';
    out += value;
  }
}

std::string rendered(std::string_view name, Attrs attrs) {
  size_t size = name.size() + 2;
  for (const auto& a : attrs) size += a.second.size() + 7;
  std::string out;
  out.reserve(size);
  out += name;
  out += '(';
  append_joined(out, attrs);
  out += ')';
  return out;
}

// ---- the kernel's side ----------------------------------------------------

// An NFTA_DATA_* nest: a value (leaf) or a verdict (a nest of leaves).
// (A walk's result and what its callback found are kept apart: a callback
// must not read a flag its own walk is still initialising.)
bool canonical_data(std::string_view data, std::string& out) {
  Attrs attrs;
  bool nested_ok = true;
  const bool walked = for_each_attribute(data, [&](uint16_t type, std::string_view value) {
    if (type != NFTA_DATA_VERDICT) {
      attrs.emplace_back(type, hex(value));
      return;
    }
    Attrs verdict;
    nested_ok &= for_each_attribute(
        value, [&](uint16_t t, std::string_view v) { verdict.emplace_back(t, hex(v)); });
    std::string nested = "{";
    append_joined(nested, verdict);
    nested += '}';
    attrs.emplace_back(type, std::move(nested));
  });
  out = "{";
  append_joined(out, attrs);
  out += '}';
  return walked && nested_ok;
}

bool holds_data(std::string_view name, uint16_t type) {
  if (name == "cmp") return type == NFTA_CMP_DATA;
  if (name == "bitwise")
    return type == NFTA_BITWISE_MASK || type == NFTA_BITWISE_XOR || type == NFTA_BITWISE_DATA;
  if (name == "range") return type == NFTA_RANGE_FROM_DATA || type == NFTA_RANGE_TO_DATA;
  if (name == "immediate") return type == NFTA_IMMEDIATE_DATA;
  return false;
}

// Attributes the kernel adds that no rule sets: 64-bit alignment padding.
bool padding(std::string_view name, uint16_t type) {
  return (name == "counter" && type == NFTA_COUNTER_PAD) ||
         (name == "limit" && type == NFTA_LIMIT_PAD);
}

bool canonical_expression(std::string_view element, std::string& out) {
  std::string_view name, data;
  bool has_name = false, has_data = false, unique = true;
  const bool walked = for_each_attribute(element, [&](uint16_t type, std::string_view value) {
    if (type == NFTA_EXPR_NAME) {
      unique &= !has_name;
      has_name = true;
      name = attribute_string(value);
    } else if (type == NFTA_EXPR_DATA) {
      unique &= !has_data;
      has_data = true;
      data = value;
    } else {
      unique = false;
    }
  });
  if (!walked || !unique || !has_name) return false;
  Attrs attrs;
  bool nested_ok = true;
  const bool data_walked = for_each_attribute(data, [&](uint16_t type, std::string_view value) {
    if (padding(name, type)) return;
    // A counter's values are traffic, not the rule.
    if (name == "counter" && (type == NFTA_COUNTER_BYTES || type == NFTA_COUNTER_PACKETS)) return;
    if (holds_data(name, type)) {
      std::string nested;
      nested_ok &= canonical_data(value, nested);
      attrs.emplace_back(type, std::move(nested));
    } else {
      attrs.emplace_back(type, hex(value));
    }
  });
  out = rendered(name, std::move(attrs));
  return data_walked && nested_ok;
}

// ---- iptables-nft's side --------------------------------------------------

std::string be32(uint32_t v) {
  v = htonl(v);
  return std::string(reinterpret_cast<const char*>(&v), 4);
}
std::string be16(uint16_t v) {
  v = htons(v);
  return std::string(reinterpret_cast<const char*>(&v), 2);
}
std::string be64(uint64_t v) {
  return be32(static_cast<uint32_t>(v >> 32)) + be32(static_cast<uint32_t>(v));
}
std::string raw(const void* p, size_t n) { return std::string(static_cast<const char*>(p), n); }
std::string value_data(std::string_view bytes) {
  std::string out = "{";
  append_number(out, NFTA_DATA_VALUE);
  out += '=';
  append_hex(out, bytes);
  out += '}';
  return out;
}

// The expressions iptables-nft's add_* helpers write (always register 1).
class Writer {
 public:
  void meta_load(uint32_t key) {
    add("meta", {{NFTA_META_KEY, hex(be32(key))}, {NFTA_META_DREG, hex(be32(NFT_REG_1))}});
  }
  void payload(uint32_t base, uint32_t offset, uint32_t len) {
    add("payload", {{NFTA_PAYLOAD_DREG, hex(be32(NFT_REG_1))},
                    {NFTA_PAYLOAD_BASE, hex(be32(base))},
                    {NFTA_PAYLOAD_OFFSET, hex(be32(offset))},
                    {NFTA_PAYLOAD_LEN, hex(be32(len))}});
  }
  void bitwise(std::string_view mask) {
    add("bitwise", {{NFTA_BITWISE_SREG, hex(be32(NFT_REG_1))},
                    {NFTA_BITWISE_DREG, hex(be32(NFT_REG_1))},
                    {NFTA_BITWISE_LEN, hex(be32(static_cast<uint32_t>(mask.size())))},
                    {NFTA_BITWISE_OP, hex(be32(NFT_BITWISE_BOOL))},
                    {NFTA_BITWISE_MASK, value_data(mask)},
                    {NFTA_BITWISE_XOR, value_data(std::string(mask.size(), '\0'))}});
  }
  void cmp(uint32_t op, std::string_view data) {
    add("cmp", {{NFTA_CMP_SREG, hex(be32(NFT_REG_1))},
                {NFTA_CMP_OP, hex(be32(op))},
                {NFTA_CMP_DATA, value_data(data)}});
  }
  void range(uint32_t op, std::string_view from, std::string_view to) {
    add("range", {{NFTA_RANGE_SREG, hex(be32(NFT_REG_1))},
                  {NFTA_RANGE_OP, hex(be32(op))},
                  {NFTA_RANGE_FROM_DATA, value_data(from)},
                  {NFTA_RANGE_TO_DATA, value_data(to)}});
  }
  void counter() { add("counter", {}); }
  void verdict(int32_t code, const std::string* chain) {
    std::string verdict =
        std::to_string(NFTA_VERDICT_CODE) + "=" + hex(be32(static_cast<uint32_t>(code)));
    if (chain) verdict += "," + std::to_string(NFTA_VERDICT_CHAIN) + "=" + hex(*chain + '\0');
    add("immediate",
        {{NFTA_IMMEDIATE_DREG, hex(be32(NFT_REG_VERDICT))},
         {NFTA_IMMEDIATE_DATA, "{" + std::to_string(NFTA_DATA_VERDICT) + "={" + verdict + "}}"}});
  }
  // The match and target attributes share their numbers.
  void compat(std::string_view kind, const std::string& name, uint32_t revision,
              std::string_view info) {
    add(kind, {{NFTA_MATCH_NAME, hex(name + '\0')},
               {NFTA_MATCH_REV, hex(be32(revision))},
               {NFTA_MATCH_INFO, hex(info)}});
  }
  void limit(uint64_t rate, uint64_t unit, uint32_t burst) {
    add("limit", {{NFTA_LIMIT_RATE, hex(be64(rate))},
                  {NFTA_LIMIT_UNIT, hex(be64(unit))},
                  {NFTA_LIMIT_BURST, hex(be32(burst))},
                  {NFTA_LIMIT_TYPE, hex(be32(NFT_LIMIT_PKTS))},
                  {NFTA_LIMIT_FLAGS, hex(be32(0))}});
  }
  void log(const NftAction& a) {
    Attrs attrs{{NFTA_LOG_GROUP, hex(be16(a.group))}};
    if (!a.prefix.empty()) attrs.emplace_back(NFTA_LOG_PREFIX, hex(a.prefix + '\0'));
    if (a.has_snaplen) attrs.emplace_back(NFTA_LOG_SNAPLEN, hex(be32(a.snaplen)));
    if (a.threshold) attrs.emplace_back(NFTA_LOG_QTHRESHOLD, hex(be16(a.threshold)));
    add("log", std::move(attrs));
  }
  // What iptables-nft cannot write: never equal to a kernel expression.
  void impossible(std::string_view why) { out_.push_back("<" + std::string(why) + ">"); }

  std::vector<std::string> take() { return std::move(out_); }

 private:
  void add(std::string_view name, Attrs attrs) { out_.push_back(rendered(name, std::move(attrs))); }
  std::vector<std::string> out_;
};

// The name as `-i`/`-o` prints it (legacy/format.h's reading of name and mask).
std::string interface_text(const char name[16], const uint8_t mask[16]) {
  std::string out;
  for (size_t i = 0; i < 16; ++i) {
    if (mask[i] == 0) {
      if (i > 0 && name[i - 1] != '\0') out += '+';
      break;
    }
    if (name[i] != '\0') out += name[i];
  }
  return out;
}

// add_iniface() / add_outiface().
void interface(Writer& w, uint32_t key, const char name[16], const uint8_t mask[16], bool invert) {
  if (mask[0] == 0) return;
  const std::string text = interface_text(name, mask);
  const uint32_t op = invert ? NFT_CMP_NEQ : NFT_CMP_EQ;
  w.meta_load(key);
  if (!text.empty() && text.back() == '+') {
    if (text.size() > 1)
      w.cmp(op, text.substr(0, text.size() - 1));
    else if (op != NFT_CMP_EQ)
      w.cmp(NFT_CMP_EQ, std::string("INVAL/D") + '\0');
  } else {
    w.cmp(op, text + '\0');
  }
}

// add_addr(): the address as iptables parses its printed form (masked).
void address(Writer& w, uint32_t offset, const uint8_t* addr, const uint8_t* mask, size_t width,
             bool invert) {
  size_t i = 0;
  bool bitwise = false;
  for (; i < width; ++i)
    if (mask[i] != 0xff) {
      bitwise = mask[i] != 0;
      break;
    }
  for (size_t j = i + 1; !bitwise && j < width; ++j) bitwise = mask[j] != 0;
  const size_t len = bitwise ? width : i;
  std::string data(len, '\0');
  for (size_t k = 0; k < len; ++k) data[k] = static_cast<char>(addr[k] & mask[k]);
  w.payload(NFT_PAYLOAD_NETWORK_HEADER, static_cast<uint32_t>(offset), static_cast<uint32_t>(len));
  if (bitwise) w.bitwise(raw(mask, len));
  w.cmp(invert ? NFT_CMP_NEQ : NFT_CMP_EQ, data);
}

bool address_set(const uint8_t* addr, const uint8_t* mask, size_t width, bool invert) {
  if (invert) return true;
  for (size_t i = 0; i < width; ++i)
    if (addr[i] || mask[i]) return true;
  return false;
}

// expr_gen_range_cmp16().
void port_range(Writer& w, uint16_t lo, uint16_t hi, bool invert) {
  if (lo == hi) return w.cmp(invert ? NFT_CMP_NEQ : NFT_CMP_EQ, be16(lo));
  if (lo == 0 && hi < 0xffff) return w.cmp(invert ? NFT_CMP_GT : NFT_CMP_LTE, be16(hi));
  w.range(invert ? NFT_RANGE_NEQ : NFT_RANGE_EQ, be16(lo), be16(hi));
}

constexpr uint8_t kInvSrcPorts = 0x01, kInvDstPorts = 0x02, kInvFlags = 0x04;

// add_nft_tcp() / add_nft_udp() for a match the translator rebuilt from
// native comparisons.
void ports(Writer& w, const NftMatchPart& m) {
  const NftPorts& p = m.ports;
  const bool tcp = m.kind == NftMatchPart::Kind::Tcp;
  const bool all_zero = p.spts[0] == 0 && p.spts[1] == 0xffff && p.dpts[0] == 0 &&
                        p.dpts[1] == 0xffff && p.invflags == 0 && p.flg_mask == 0 && p.flg_cmp == 0;
  const uint8_t supported =
      tcp ? (kInvSrcPorts | kInvDstPorts | kInvFlags) : (kInvSrcPorts | kInvDstPorts);
  // iptables-nft writes these as a compat match, never as comparisons.
  if (all_zero || (p.invflags & ~supported) || (!tcp && (p.flg_mask || p.flg_cmp)))
    return w.impossible("a tcp/udp match iptables-nft writes as a compat match");
  if (tcp && p.flg_mask) {
    w.payload(NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1);
    w.bitwise(std::string(1, static_cast<char>(p.flg_mask)));
    w.cmp(p.invflags & kInvFlags ? NFT_CMP_NEQ : NFT_CMP_EQ,
          std::string(1, static_cast<char>(p.flg_cmp)));
  } else if (tcp && p.flg_cmp) {
    return w.impossible("tcp flags compared without a mask");
  }
  // --tcp-flags names FIN..URG only: other bits come from no iptables text.
  if (tcp && ((p.flg_mask | p.flg_cmp) & ~AIM_XT_TCP_NAMED_FLAGS)) {
    return w.impossible("tcp flag bits iptables cannot name");
  }
  const bool inv_src = p.invflags & kInvSrcPorts, inv_dst = p.invflags & kInvDstPorts;
  if (p.spts[0] && p.spts[0] == p.spts[1] && p.dpts[0] && p.dpts[0] == p.dpts[1] &&
      inv_src == inv_dst) {
    w.payload(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 4);
    w.cmp(inv_src ? NFT_CMP_NEQ : NFT_CMP_EQ, be16(p.spts[0]) + be16(p.dpts[0]));
    return;
  }
  if (p.spts[0] || p.spts[1] < 0xffff) {
    w.payload(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2);
    port_range(w, p.spts[0], p.spts[1], inv_src);
  } else if (inv_src) {
    return w.impossible("an inverted source port range that is empty");
  }
  if (p.dpts[0] || p.dpts[1] < 0xffff) {
    w.payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
    port_range(w, p.dpts[0], p.dpts[1], inv_dst);
  } else if (inv_dst) {
    return w.impossible("an inverted destination port range that is empty");
  }
}

// add_nft_limit(): the rate and unit iptables-nft picks for an average.
void limit(Writer& w, uint32_t avg, uint32_t burst) {
  constexpr uint32_t kScale = 10000;  // XT_LIMIT_SCALE
  static constexpr uint32_t kMult[] = {kScale * 24 * 60 * 60, kScale * 60 * 60, kScale * 60,
                                       kScale};
  if (avg == 0) return w.impossible("a limit of average 0");
  size_t i = 1;
  for (; i < std::size(kMult); ++i)
    if (avg > kMult[i] || kMult[i] / avg < kMult[i] % avg) break;
  w.limit(kMult[i - 1] / avg, kMult[i - 1] / kScale, burst);
}

// Compat matches iptables-nft writes natively (add_match()): limit, among
// and mark always; tcp and udp unless their data holds what the native
// comparisons cannot say (add_nft_tcp(), add_nft_udp()).
bool written_natively(const NftMatchPart& m) {
  if (m.name == "limit" || m.name == "among" || m.name == "mark") return true;
  if (m.name != "tcp" && m.name != "udp") return false;
  // struct xt_tcp: spts[2], dpts[2], option, flg_mask, flg_cmp, invflags;
  // struct xt_udp: spts[2], dpts[2], invflags. Host byte order.
  const bool tcp = m.name == "tcp";
  const size_t size = tcp ? 12 : 9;
  if (m.info.size() < size) return false;  // the kernel refuses it; not ours to judge
  uint16_t pts[4];
  std::memcpy(pts, m.info.data(), sizeof pts);
  const auto byte = [&](size_t at) { return static_cast<uint8_t>(m.info[at]); };
  const uint8_t invflags = tcp ? byte(11) : byte(8);
  bool all_zero = pts[0] == 0 && pts[1] == 0xffff && pts[2] == 0 && pts[3] == 0xffff &&
                  invflags == 0 && (!tcp || (byte(8) == 0 && byte(9) == 0 && byte(10) == 0));
  for (size_t i = size; i < m.info.size(); ++i) all_zero &= byte(i) == 0;
  if (all_zero) return false;
  if (tcp) return (invflags & ~(kInvSrcPorts | kInvDstPorts | kInvFlags)) == 0 && byte(8) == 0;
  return invflags <= (kInvSrcPorts | kInvDstPorts);
}

// Matches the kernel takes only after `-p PROTO` (not inverted): their
// xt_match's protocol, or the protocols their check accepts. The kernel
// checks it against the rule's compat protocol, which it does not dump: a
// rule made over netlink with another one is not what iptables builds.
bool protocol_allows(const std::string& name, const aim_rule_head& h, bool v6) {
  static const std::map<std::string, std::vector<uint16_t>, std::less<>> kRequired = {
      {"tcp", {IPPROTO_TCP}},
      {"udp", {IPPROTO_UDP}},
      {"udplite", {IPPROTO_UDPLITE}},
      {"sctp", {IPPROTO_SCTP}},
      {"dccp", {IPPROTO_DCCP}},
      {"tcpmss", {IPPROTO_TCP}},
      {"multiport", {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_UDPLITE, IPPROTO_SCTP, IPPROTO_DCCP}},
  };
  if (name == "icmp") return !v6 && h.proto == IPPROTO_ICMP && !h.inv_proto;
  if (name == "icmp6") return v6 && h.proto == IPPROTO_ICMPV6 && !h.inv_proto;
  auto it = kRequired.find(name);
  if (it == kRequired.end()) return true;
  return !h.inv_proto &&
         std::find(it->second.begin(), it->second.end(), h.proto) != it->second.end();
}

// REJECT's tcp-reset is taken only after "-p tcp" (its check): a rule made
// over netlink with another compat protocol is not what iptables builds.
bool reject_tcp_reset_without_tcp(const NftAction& a, const aim_rule_head& h, bool v6) {
  if (a.name != "REJECT" || a.info.size() < sizeof(uint32_t)) return false;
  uint32_t with = 0;
  std::memcpy(&with, a.info.data(), sizeof with);
  const uint32_t tcp_reset = v6 ? uint32_t{IP6T_TCP_RESET} : uint32_t{IPT_TCP_RESET};
  return with == tcp_reset && (h.proto != IPPROTO_TCP || h.inv_proto);
}

}  // namespace

Result<std::vector<std::string>> canonical_expressions(std::string_view expressions) {
  std::vector<std::string> out;
  bool each_ok = true;
  const bool walked = for_each_attribute(expressions, [&](uint16_t type, std::string_view element) {
    std::string one;
    each_ok &= type == NFTA_LIST_ELEM && canonical_expression(element, one);
    out.push_back(std::move(one));
  });
  if (!walked || !each_ok) return Error{"a malformed expression list"};
  return out;
}

std::vector<std::string> expected_expressions(const NftRuleParts& parts, Family family) {
  Writer w;
  const aim_rule_head& h = parts.head;
  const bool v6 = family == Family::V6;
  const size_t width = v6 ? 16 : 4;
  // nft_ipv4_add() / nft_ipv6_add(), in their order.
  interface(w, NFT_META_IIFNAME, h.in_iface, h.in_iface_mask, h.inv_in);
  interface(w, NFT_META_OIFNAME, h.out_iface, h.out_iface_mask, h.inv_out);
  if (h.proto > 0xff) w.impossible("a protocol number above 255");
  if (h.proto != 0) {
    w.meta_load(NFT_META_L4PROTO);
    w.cmp(h.inv_proto ? NFT_CMP_NEQ : NFT_CMP_EQ, std::string(1, static_cast<char>(h.proto)));
  } else if (h.inv_proto) {
    w.impossible("an inverted protocol 0");
  }
  if (address_set(h.src, h.src_mask, width, h.inv_src))
    address(w, v6 ? 8 : 12, h.src, h.src_mask, width, h.inv_src);
  if (address_set(h.dst, h.dst_mask, width, h.inv_dst))
    address(w, v6 ? 24 : 16, h.dst, h.dst_mask, width, h.inv_dst);
  if (!v6 && h.frag) {
    w.payload(NFT_PAYLOAD_NETWORK_HEADER, 6, 2);
    w.bitwise(be16(0x1fff));
    w.cmp(h.inv_frag ? NFT_CMP_EQ : NFT_CMP_NEQ, std::string(2, '\0'));
  } else if (h.frag || h.inv_frag || h.has_tos) {
    w.impossible("a fragment or tos flag the family does not have");
  }
  for (const NftMatchPart& m : parts.matches) {
    switch (m.kind) {
      case NftMatchPart::Kind::Compat:
        if (written_natively(m))
          w.impossible("a compat " + m.name + " match (iptables-nft writes it natively)");
        else if (!protocol_allows(m.name, h, v6))
          w.impossible("a compat " + m.name + " match without the protocol the kernel requires " +
                       "of it (iptables-nft-restore refuses that text)");
        else
          w.compat("match", m.name, m.revision, m.info);
        break;
      case NftMatchPart::Kind::Tcp:
      case NftMatchPart::Kind::Udp:
        ports(w, m);
        break;
      case NftMatchPart::Kind::Mark: {
        w.meta_load(NFT_META_MARK);
        if (m.mask != 0xffffffff) w.bitwise(raw(&m.mask, 4));
        w.cmp(m.invert ? NFT_CMP_NEQ : NFT_CMP_EQ, raw(&m.mark, 4));
        break;
      }
      case NftMatchPart::Kind::Limit:
        limit(w, m.avg, m.burst);
        break;
      case NftMatchPart::Kind::Comment:
        // iptables-nft 1.8.9 writes a comment as a compat match, never as
        // the rule's user data.
        w.impossible("a comment in the rule's user data");
        break;
    }
  }
  w.counter();
  const NftAction& a = parts.action;
  switch (a.kind) {
    case NftAction::Kind::None:
      break;
    case NftAction::Kind::Accept:
      w.verdict(NF_ACCEPT, nullptr);
      break;
    case NftAction::Kind::Drop:
      w.verdict(NF_DROP, nullptr);
      break;
    case NftAction::Kind::Return:
      w.verdict(NFT_RETURN, nullptr);
      break;
    case NftAction::Kind::Jump:
      w.verdict(NFT_JUMP, &a.chain);
      break;
    case NftAction::Kind::Goto:
      w.verdict(NFT_GOTO, &a.chain);
      break;
    case NftAction::Kind::Target:
      if (reject_tcp_reset_without_tcp(a, h, v6))
        w.impossible("REJECT --reject-with tcp-reset without -p tcp (the kernel refuses it)");
      else if (a.name == "TPROXY" &&
               (h.inv_proto || (h.proto != IPPROTO_TCP && h.proto != IPPROTO_UDP)))
        w.impossible("TPROXY without -p tcp or -p udp (the kernel refuses it)");
      else if (a.name == "NFLOG" || a.name == "TRACE")
        w.impossible("a compat " + a.name + " target (iptables-nft writes it natively)");
      else
        w.compat("target", a.name, a.revision, a.info);
      break;
    case NftAction::Kind::Nflog:
      w.log(a);
      break;
  }
  return w.take();
}

std::string compare_with_iptables_nft(std::string_view expressions, const NftRuleParts& parts,
                                      Family family) {
  auto kernel = canonical_expressions(expressions);
  if (!kernel) return kernel.error();
  const std::vector<std::string> expected = expected_expressions(parts, family);
  auto shown = [](const std::string& e) { return e.size() > 160 ? e.substr(0, 160) + "..." : e; };
  const size_t n = std::min(kernel->size(), expected.size());
  for (size_t i = 0; i < n; ++i)
    if ((*kernel)[i] != expected[i])
      return "its text would not rebuild it: expression " + std::to_string(i + 1) + " is " +
             shown((*kernel)[i]) + " where iptables-nft 1.8.9 writes " + shown(expected[i]);
  if (kernel->size() > n)
    return "its text would not rebuild it: expression " + std::to_string(n + 1) + " (" +
           shown((*kernel)[n]) + ") is one iptables-nft 1.8.9 would not write";
  if (expected.size() > n)
    return "its text would not rebuild it: iptables-nft 1.8.9 would also write " +
           shown(expected[n]);
  return {};
}

}  // namespace aim
