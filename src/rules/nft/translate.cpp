#include "rules/nft/translate.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include "rules/netlink/attributes.h"
#include "rules/nft/expected.h"

namespace aim {
namespace {

// xt_tcpudp.h's inversion bits (XT_TCP_INV_* and XT_UDP_INV_* agree).
constexpr uint8_t kInvSrcPorts = 0x01, kInvDstPorts = 0x02, kInvFlags = 0x04;
constexpr size_t kIfNameSize = 16;

// A word of iptables text: iptables splits its lines at spaces and unquotes
// quotes and backslashes, so a name holding one (or a control character)
// would be read back as other words.
bool iptables_word(std::string_view word) {
  return std::all_of(word.begin(), word.end(), [](char c) {
    return c > ' ' && c < 0x7f && c != '"' && c != '\'' && c != '\\';
  });
}

// An expression's attributes by type; false when they cannot be walked or a
// type comes twice. `pad`: the expression's padding attribute (the kernel
// adds it before 64-bit values on some architectures), skipped.
bool attributes_of(std::string_view data, std::map<uint16_t, std::string_view>& out,
                   std::optional<uint16_t> pad = std::nullopt) {
  bool unique = true;
  const bool ok = for_each_attribute(data, [&](uint16_t type, std::string_view value) {
    if (pad && type == *pad) return;
    unique &= out.emplace(type, value).second;
  });
  return ok && unique;
}

std::optional<uint32_t> be32_of(const std::map<uint16_t, std::string_view>& a, uint16_t type) {
  auto it = a.find(type);
  uint32_t v = 0;
  if (it == a.end() || !read_be32(it->second, v)) return std::nullopt;
  return v;
}

// The value inside an NFTA_DATA_VALUE nest.
std::optional<std::string_view> data_value(const std::map<uint16_t, std::string_view>& a,
                                           uint16_t type) {
  auto it = a.find(type);
  if (it == a.end()) return std::nullopt;
  std::map<uint16_t, std::string_view> nest;
  if (!attributes_of(it->second, nest) || nest.size() != 1 || !nest.count(NFTA_DATA_VALUE))
    return std::nullopt;
  return nest[NFTA_DATA_VALUE];
}

// A register load waiting for its comparison: iptables-nft always loads,
// optionally masks, then compares, in register 1.
struct Load {
  enum class Kind { Meta, Payload } kind;
  uint32_t key = 0;                        // Meta
  uint32_t base = 0, offset = 0, len = 0;  // Payload
  std::optional<std::string> mask;         // from a bitwise with xor 0
};

class Translator {
 public:
  Translator(Family family, NftRuleParts& out) : family_(family), out_(out) {
    out_.head.family = family == Family::V6 ? 6 : 4;
  }

  // Empty when understood; else why not.
  std::string expression(std::string_view element) {
    if (done_) return "an expression after the rule's verdict";
    std::map<uint16_t, std::string_view> e;
    if (!attributes_of(element, e) || !e.count(NFTA_EXPR_NAME)) return "a malformed expression";
    const std::string name(attribute_string(e[NFTA_EXPR_NAME]));
    std::map<uint16_t, std::string_view> a;
    std::optional<uint16_t> pad;
    if (name == "counter") pad = NFTA_COUNTER_PAD;
    if (name == "limit") pad = NFTA_LIMIT_PAD;
    if (e.count(NFTA_EXPR_DATA) && !attributes_of(e[NFTA_EXPR_DATA], a, pad))
      return "a malformed " + name + " expression";
    // "-i +" loads the interface name and compares nothing: iptables-nft
    // prints nothing for it, and the next load replaces it.
    if (load_ && name != "cmp" && name != "bitwise" && iface_load_only(*load_)) load_.reset();
    if (name != "cmp" && name != "range" && name != "bitwise" && load_)
      return "a " + name + " expression while a loaded value waits for its comparison";
    if (name == "meta") return meta(a);
    if (name == "payload") return payload(a);
    if (name == "bitwise") return bitwise(a);
    if (name == "cmp") return cmp(a);
    if (name == "range") return range(a);
    if (name == "counter") return counter();
    if (name == "immediate") return immediate(a);
    if (name == "match") return compat_match(a);
    if (name == "target") return compat_target(a);
    if (name == "limit") return limit(a);
    if (name == "log") return log(a);
    return "the expression '" + name + "'";
  }

  std::string finish() {
    if (load_ && iface_load_only(*load_)) load_.reset();
    if (load_) return "a loaded value that is never compared";
    return {};
  }

 private:
  static bool iface_load_only(const Load& load) {
    return load.kind == Load::Kind::Meta && !load.mask &&
           (load.key == NFT_META_IIFNAME || load.key == NFT_META_OIFNAME);
  }

  static bool register_1(const std::map<uint16_t, std::string_view>& a, uint16_t type) {
    auto r = be32_of(a, type);
    return r && *r == NFT_REG_1;
  }

  std::string meta(const std::map<uint16_t, std::string_view>& a) {
    if (a.count(NFTA_META_SREG)) return "a meta statement that sets a value";
    auto key = be32_of(a, NFTA_META_KEY);
    if (!key || !register_1(a, NFTA_META_DREG) || a.size() != 2) return "an unusual meta load";
    if (*key != NFT_META_IIFNAME && *key != NFT_META_OIFNAME && *key != NFT_META_L4PROTO &&
        *key != NFT_META_MARK)
      return "meta key " + std::to_string(*key);
    load_ = Load{Load::Kind::Meta, *key, 0, 0, 0, std::nullopt};
    return {};
  }

  std::string payload(const std::map<uint16_t, std::string_view>& a) {
    auto base = be32_of(a, NFTA_PAYLOAD_BASE), offset = be32_of(a, NFTA_PAYLOAD_OFFSET),
         len = be32_of(a, NFTA_PAYLOAD_LEN);
    if (!base || !offset || !len || !register_1(a, NFTA_PAYLOAD_DREG) || a.size() != 4)
      return "an unusual payload expression";
    load_ = Load{Load::Kind::Payload, 0, *base, *offset, *len, std::nullopt};
    return {};
  }

  std::string bitwise(const std::map<uint16_t, std::string_view>& a) {
    if (!load_ || load_->mask) return "a bitwise expression that does not mask a loaded value";
    auto len = be32_of(a, NFTA_BITWISE_LEN);
    auto mask = data_value(a, NFTA_BITWISE_MASK), x = data_value(a, NFTA_BITWISE_XOR);
    if (auto op = be32_of(a, NFTA_BITWISE_OP); a.count(NFTA_BITWISE_OP) && (!op || *op != 0))
      return "a bitwise shift";
    if (a.count(NFTA_BITWISE_DATA) || !len || !mask || !x || !register_1(a, NFTA_BITWISE_SREG) ||
        !register_1(a, NFTA_BITWISE_DREG) || mask->size() != *len || x->size() != *len)
      return "an unusual bitwise expression";
    if (x->find_first_not_of('\0') != std::string_view::npos) return "a bitwise xor";
    load_->mask = std::string(*mask);
    return {};
  }

  std::string cmp(const std::map<uint16_t, std::string_view>& a) {
    auto op = be32_of(a, NFTA_CMP_OP);
    auto data = data_value(a, NFTA_CMP_DATA);
    if (!load_ || !op || !data || !register_1(a, NFTA_CMP_SREG) || a.size() != 3)
      return "an unusual cmp expression";
    const Load load = *load_;
    load_.reset();
    const bool eq = *op == NFT_CMP_EQ, neq = *op == NFT_CMP_NEQ;
    if (load.kind == Load::Kind::Meta) {
      if (!eq && !neq) return "a meta comparison other than == or !=";
      switch (load.key) {
        case NFT_META_IIFNAME:
          if (load.mask) return "a masked interface name";
          return iface(*data, neq, out_.head.in_iface, out_.head.in_iface_mask, out_.head.inv_in);
        case NFT_META_OIFNAME:
          if (load.mask) return "a masked interface name";
          return iface(*data, neq, out_.head.out_iface, out_.head.out_iface_mask,
                       out_.head.inv_out);
        case NFT_META_L4PROTO:
          if (load.mask || data->size() != 1 || proto_seen_) return "an unusual protocol match";
          proto_seen_ = true;
          out_.head.proto = static_cast<uint8_t>((*data)[0]);
          out_.head.inv_proto = neq;
          return {};
        case NFT_META_MARK: {
          if (data->size() != 4 || (load.mask && load.mask->size() != 4))
            return "an unusual mark match";
          NftMatchPart m;
          m.kind = NftMatchPart::Kind::Mark;
          std::memcpy(&m.mark, data->data(), 4);
          m.mask = 0xffffffff;
          if (load.mask) std::memcpy(&m.mask, load.mask->data(), 4);
          m.invert = neq;
          out_.matches.push_back(std::move(m));
          return {};
        }
      }
      return "meta key " + std::to_string(load.key);
    }
    if (load.base == NFT_PAYLOAD_NETWORK_HEADER) return network(load, *data, eq, neq);
    if (load.base == NFT_PAYLOAD_TRANSPORT_HEADER) return transport(load, *data, *op);
    return "a payload comparison of header base " + std::to_string(load.base);
  }

  // parse_ifname() and parse_invalid_iface() of iptables-nft, limited to the
  // names it writes: "name\0" exactly, "prefix" for "prefix+".
  std::string iface(std::string_view data, bool neq, char name[kIfNameSize],
                    uint8_t mask[kIfNameSize], uint8_t& invert) {
    if (mask[0] != 0) return "two interface matches of one direction";
    if (data.empty() || data.size() > kIfNameSize) return "an interface name of unusual length";
    const bool exact = data.back() == '\0';
    const std::string_view text = exact ? data.substr(0, data.size() - 1) : data;
    if (text.find('\0') != std::string_view::npos) return "an interface name holding a NUL";
    // iptables-nft never writes one (native nft can): not a name to print.
    if (text.empty()) return "an empty interface name";
    if (!iptables_word(text))
      return "an interface name iptables text cannot carry (a space, quote or control character)";
    invert = neq;
    if (exact && !neq && text == "INVAL/D") {  // how iptables-nft writes "! -i +"
      invert = 1;
      name[0] = '+';
      mask[0] = mask[1] = 0xff;
      return {};
    }
    // A wildcard of 15 characters leaves iptables-nft's mask unset.
    if (!exact && text.size() + 1 >= kIfNameSize) return "a 15-character interface wildcard";
    std::memcpy(name, text.data(), text.size());
    if (!exact) name[text.size()] = '+';
    std::memset(mask, 0xff, exact ? text.size() + 1 : text.size());
    return {};
  }

  std::string network(const Load& load, std::string_view data, bool eq, bool neq) {
    if (!eq && !neq) return "an address comparison other than == or !=";
    const bool v6 = family_ == Family::V6;
    const size_t width = v6 ? 16 : 4;
    const uint32_t src_offset = v6 ? 8 : 12, dst_offset = v6 ? 24 : 16;
    aim_rule_head& h = out_.head;
    if (load.offset == src_offset || load.offset == dst_offset) {
      const bool src = load.offset == src_offset;
      uint8_t* addr = src ? h.src : h.dst;
      uint8_t* mask = src ? h.src_mask : h.dst_mask;
      bool& seen = src ? src_seen_ : dst_seen_;
      if (seen) return "two address matches of one direction";
      if (load.len == 0 || load.len > width || data.size() != load.len)
        return "an address comparison of unusual length";
      if (load.mask && (load.len != width || load.mask->size() != width))
        return "an unusual address mask";
      seen = true;
      std::memcpy(addr, data.data(), data.size());
      if (load.mask)
        std::memcpy(mask, load.mask->data(), width);
      else
        std::memset(mask, 0xff, load.len);
      (src ? h.inv_src : h.inv_dst) = neq;
      return {};
    }
    // -f: the 13 fragment offset bits of frag_off, compared with 0.
    static const std::string kFragMask("\x1f\xff", 2);
    if (!v6 && load.offset == 6 && load.len == 2 && load.mask == kFragMask &&
        data == std::string_view("\0\0", 2) && !h.frag) {
      h.frag = 1;
      h.inv_frag = eq;
      return {};
    }
    return "a network header comparison at offset " + std::to_string(load.offset);
  }

  // nft_parse_transport(): ports and tcp flags of the protocol given by -p,
  // which become one tcp or udp match at the place of the first of them.
  NftPorts* ports_match() {
    const bool tcp = out_.head.proto == IPPROTO_TCP;
    size_t& index = tcp ? tcp_index_ : udp_index_;
    if (index == kNone) {
      index = out_.matches.size();
      NftMatchPart m;
      m.kind = tcp ? NftMatchPart::Kind::Tcp : NftMatchPart::Kind::Udp;
      out_.matches.push_back(std::move(m));
    }
    return &out_.matches[index].ports;
  }

  std::string transport_proto_check(const Load& load) {
    if (!proto_seen_ || out_.head.inv_proto ||
        (out_.head.proto != IPPROTO_TCP && out_.head.proto != IPPROTO_UDP))
      return "a transport header match without -p tcp or -p udp";
    if (load.mask && !(load.offset == 13 && load.len == 1)) return "a masked port comparison";
    return {};
  }

  static void single_to_range(uint16_t ports[2], uint8_t& invflags, uint32_t op, uint16_t port,
                              uint8_t inv_bit) {
    switch (op) {
      case NFT_CMP_NEQ:
        invflags |= inv_bit;
        [[fallthrough]];
      case NFT_CMP_EQ:
        ports[0] = ports[1] = port;
        break;
      case NFT_CMP_LT:
        ports[1] = port > 2 ? port - 1 : 1;
        break;
      case NFT_CMP_LTE:
        ports[1] = port;
        break;
      case NFT_CMP_GT:
        ports[0] = port < 0xffff ? port + 1 : 0xffff;
        break;
      case NFT_CMP_GTE:
        ports[0] = port;
        break;
    }
  }

  std::string transport(const Load& load, std::string_view data, uint32_t op) {
    if (auto why = transport_proto_check(load); !why.empty()) return why;
    if (op > NFT_CMP_GTE) return "an unknown comparison";
    auto be16 = [&](size_t at) {
      return static_cast<uint16_t>((static_cast<uint8_t>(data[at]) << 8) |
                                   static_cast<uint8_t>(data[at + 1]));
    };
    if (load.offset == 0 && load.len == 2 && data.size() == 2) {
      NftPorts* p = ports_match();
      single_to_range(p->spts, p->invflags, op, be16(0), kInvSrcPorts);
      return {};
    }
    if (load.offset == 2 && load.len == 2 && data.size() == 2) {
      NftPorts* p = ports_match();
      single_to_range(p->dpts, p->invflags, op, be16(0), kInvDstPorts);
      return {};
    }
    if (load.offset == 0 && load.len == 4 && data.size() == 4 &&
        (op == NFT_CMP_EQ || op == NFT_CMP_NEQ)) {
      NftPorts* p = ports_match();
      single_to_range(p->spts, p->invflags, op, be16(0), kInvSrcPorts);
      single_to_range(p->dpts, p->invflags, op, be16(2), kInvDstPorts);
      return {};
    }
    if (load.offset == 13 && load.len == 1 && data.size() == 1 && out_.head.proto == IPPROTO_TCP &&
        (op == NFT_CMP_EQ || op == NFT_CMP_NEQ) && (!load.mask || load.mask->size() == 1)) {
      NftPorts* p = ports_match();
      if (op == NFT_CMP_NEQ) p->invflags |= kInvFlags;
      p->flg_cmp = static_cast<uint8_t>(data[0]);
      p->flg_mask = load.mask ? static_cast<uint8_t>((*load.mask)[0]) : 0xff;
      return {};
    }
    return "a transport header comparison at offset " + std::to_string(load.offset);
  }

  std::string range(const std::map<uint16_t, std::string_view>& a) {
    auto op = be32_of(a, NFTA_RANGE_OP);
    auto from = data_value(a, NFTA_RANGE_FROM_DATA), to = data_value(a, NFTA_RANGE_TO_DATA);
    if (!load_ || !op || !from || !to || !register_1(a, NFTA_RANGE_SREG) || a.size() != 4)
      return "an unusual range expression";
    const Load load = *load_;
    load_.reset();
    if (load.kind != Load::Kind::Payload || load.base != NFT_PAYLOAD_TRANSPORT_HEADER ||
        load.len != 2 || load.mask || from->size() != 2 || to->size() != 2 ||
        (load.offset != 0 && load.offset != 2) || (*op != NFT_RANGE_EQ && *op != NFT_RANGE_NEQ))
      return "a range other than a port range";
    if (auto why = transport_proto_check(load); !why.empty()) return why;
    NftPorts* p = ports_match();
    uint16_t* ports = load.offset == 0 ? p->spts : p->dpts;
    ports[0] = static_cast<uint16_t>((static_cast<uint8_t>((*from)[0]) << 8) |
                                     static_cast<uint8_t>((*from)[1]));
    ports[1] = static_cast<uint16_t>((static_cast<uint8_t>((*to)[0]) << 8) |
                                     static_cast<uint8_t>((*to)[1]));
    if (*op == NFT_RANGE_NEQ) p->invflags |= load.offset == 0 ? kInvSrcPorts : kInvDstPorts;
    return {};
  }

  std::string counter() {
    if (counter_seen_) return "two counters";
    counter_seen_ = true;
    return {};
  }

  std::string immediate(const std::map<uint16_t, std::string_view>& a) {
    auto dreg = be32_of(a, NFTA_IMMEDIATE_DREG);
    auto it = a.find(NFTA_IMMEDIATE_DATA);
    if (!dreg || *dreg != NFT_REG_VERDICT || it == a.end() || a.size() != 2)
      return "an immediate value that is not a verdict";
    std::map<uint16_t, std::string_view> data, verdict;
    if (!attributes_of(it->second, data) || data.size() != 1 || !data.count(NFTA_DATA_VERDICT) ||
        !attributes_of(data[NFTA_DATA_VERDICT], verdict))
      return "a malformed verdict";
    auto code = be32_of(verdict, NFTA_VERDICT_CODE);
    if (!code) return "a verdict without a code";
    const auto value = static_cast<int32_t>(*code);
    NftAction& act = out_.action;
    const bool has_chain = verdict.count(NFTA_VERDICT_CHAIN) != 0;
    if (verdict.size() != (has_chain ? 2u : 1u)) return "a verdict with unusual attributes";
    switch (value) {
      case NF_ACCEPT:
        act.kind = NftAction::Kind::Accept;
        break;
      case NF_DROP:
        act.kind = NftAction::Kind::Drop;
        break;
      case NFT_RETURN:
        act.kind = NftAction::Kind::Return;
        break;
      case NFT_JUMP:
      case NFT_GOTO:
        if (!has_chain) return "a jump without a chain";
        act.kind = value == NFT_JUMP ? NftAction::Kind::Jump : NftAction::Kind::Goto;
        act.chain = std::string(attribute_string(verdict[NFTA_VERDICT_CHAIN]));
        if (act.chain.empty()) return "a jump to an empty chain name";
        break;
      default:
        return "verdict " + std::to_string(value);
    }
    if ((value != NFT_JUMP && value != NFT_GOTO) && has_chain) return "a verdict with a chain";
    done_ = true;
    return {};
  }

  std::string compat_match(const std::map<uint16_t, std::string_view>& a) {
    auto name = a.find(NFTA_MATCH_NAME), info = a.find(NFTA_MATCH_INFO);
    auto rev = be32_of(a, NFTA_MATCH_REV);
    if (name == a.end() || info == a.end() || !rev || a.size() != 3) return "an unusual match";
    NftMatchPart m;
    m.kind = NftMatchPart::Kind::Compat;
    m.name = std::string(attribute_string(name->second));
    m.revision = *rev;
    m.info = info->second;
    if (m.name.empty() || m.name.size() != name->second.size() - 1)
      return "a match with an unusual name";
    out_.matches.push_back(std::move(m));
    return {};
  }

  std::string compat_target(const std::map<uint16_t, std::string_view>& a) {
    auto name = a.find(NFTA_TARGET_NAME), info = a.find(NFTA_TARGET_INFO);
    auto rev = be32_of(a, NFTA_TARGET_REV);
    if (name == a.end() || info == a.end() || !rev || a.size() != 3) return "an unusual target";
    NftAction& act = out_.action;
    act.kind = NftAction::Kind::Target;
    act.name = std::string(attribute_string(name->second));
    act.revision = *rev;
    act.info = info->second;
    if (act.name.empty() || act.name.size() != name->second.size() - 1)
      return "a target with an unusual name";
    done_ = true;
    return {};
  }

  // nft_parse_limit(): -m limit, written natively as packets per unit.
  std::string limit(const std::map<uint16_t, std::string_view>& a) {
    auto rate = be64_of(a, NFTA_LIMIT_RATE), unit = be64_of(a, NFTA_LIMIT_UNIT);
    auto burst = be32_of(a, NFTA_LIMIT_BURST), type = be32_of(a, NFTA_LIMIT_TYPE),
         flags = be32_of(a, NFTA_LIMIT_FLAGS);
    if (!rate || !unit || !burst || !type || *type != NFT_LIMIT_PKTS || (flags && *flags != 0) ||
        a.size() != (a.count(NFTA_LIMIT_FLAGS) ? 5u : 4u))
      return "a limit other than iptables' packet limit";
    if (*rate == 0 || *unit > UINT64_MAX / 10000) return "a limit of unusual rate";
    NftMatchPart m;
    m.kind = NftMatchPart::Kind::Limit;
    m.avg = static_cast<uint32_t>(10000 * *unit / *rate);  // XT_LIMIT_SCALE
    m.burst = *burst;
    out_.matches.push_back(std::move(m));
    return {};
  }

  // nft_parse_log(): -j NFLOG, written as a native log to a group.
  std::string log(const std::map<uint16_t, std::string_view>& a) {
    auto group = a.find(NFTA_LOG_GROUP);
    if (group == a.end() || group->second.size() != 2) return "a log statement without a group";
    NftAction& act = out_.action;
    act.kind = NftAction::Kind::Nflog;
    act.group = be16_at(group->second, 0);
    for (const auto& [type, value] : a) {
      if (type == NFTA_LOG_GROUP) continue;
      if (type == NFTA_LOG_PREFIX) {
        act.prefix = std::string(attribute_string(value).substr(0, 127));
      } else if (type == NFTA_LOG_QTHRESHOLD && value.size() == 2) {
        act.threshold = be16_at(value, 0);
      } else if (type == NFTA_LOG_SNAPLEN && read_be32(value, act.snaplen)) {
        act.has_snaplen = true;
      } else {
        return "a log statement with attribute " + std::to_string(type);
      }
    }
    done_ = true;
    return {};
  }

  static uint16_t be16_at(std::string_view data, size_t at) {
    return static_cast<uint16_t>((static_cast<uint8_t>(data[at]) << 8) |
                                 static_cast<uint8_t>(data[at + 1]));
  }

  static std::optional<uint64_t> be64_of(const std::map<uint16_t, std::string_view>& a,
                                         uint16_t type) {
    auto it = a.find(type);
    uint32_t hi = 0, lo = 0;
    if (it == a.end() || it->second.size() != 8 || !read_be32(it->second.substr(0, 4), hi) ||
        !read_be32(it->second.substr(4), lo))
      return std::nullopt;
    return (static_cast<uint64_t>(hi) << 32) | lo;
  }

  static constexpr size_t kNone = static_cast<size_t>(-1);
  Family family_;
  NftRuleParts& out_;
  std::optional<Load> load_;
  bool done_ = false, proto_seen_ = false, src_seen_ = false, dst_seen_ = false;
  bool counter_seen_ = false;
  size_t tcp_index_ = kNone, udp_index_ = kNone;
};

// iptables-nft's user data: type-length-value records; type 0 is a comment
// that must end with its NUL. Only a comment is expected.
std::string comment_from(std::string_view udata, std::optional<std::string>& comment) {
  while (!udata.empty()) {
    if (udata.size() < 2) return "malformed rule user data";
    const auto type = static_cast<uint8_t>(udata[0]);
    const auto length = static_cast<uint8_t>(udata[1]);
    if (udata.size() < 2u + length) return "malformed rule user data";
    const std::string_view value = udata.substr(2, length);
    if (type != 0) return "rule user data of type " + std::to_string(type);
    if (comment) return "two comments in the rule's user data";
    if (value.empty() || value.back() != '\0' || value.find('\0') != value.size() - 1)
      return "a rule comment that is not one NUL-terminated string";
    comment = std::string(value.substr(0, value.size() - 1));
    udata.remove_prefix(2u + length);
  }
  return {};
}

}  // namespace

bool iptables_chain_name(std::string_view name) {
  constexpr size_t kMaxName = 28;  // XT_EXTENSION_MAXNAMELEN - 1
  if (name.empty() || name.size() > kMaxName || name[0] == '-' || name[0] == '!') return false;
  return iptables_word(name);
}

Result<NftRuleParts> translate_nft_rule(std::string_view expressions, const std::string* userdata,
                                        Family family) {
  NftRuleParts parts;
  Translator t(family, parts);
  std::string why;
  const bool walked = for_each_attribute(expressions, [&](uint16_t type, std::string_view v) {
    if (!why.empty()) return;
    if (type != NFTA_LIST_ELEM) {
      why = "a malformed expression list";
      return;
    }
    why = t.expression(v);
  });
  if (!walked && why.empty()) why = "a malformed expression list";
  if (why.empty()) why = t.finish();
  if (why.empty() && userdata) {
    std::optional<std::string> comment;
    why = comment_from(*userdata, comment);
    if (why.empty() && comment) {
      // Added after every match the expressions gave, as iptables-nft does.
      NftMatchPart m;
      m.kind = NftMatchPart::Kind::Comment;
      m.comment = std::move(*comment);
      parts.matches.push_back(std::move(m));
    }
  }
  // The reading above is lenient; what makes the text the whole rule is
  // that iptables-nft would write exactly these expressions for it.
  if (why.empty()) why = compare_with_iptables_nft(expressions, parts, family);
  if (!why.empty()) return Error{why};
  return parts;
}

}  // namespace aim
