// The translator from iptables-nft's netlink expressions to the parts
// `iptables-nft -S` prints, on hand-built expression lists: the readings of
// iptables-nft 1.8.9 that real rulesets rarely show, and the strictness that
// sends everything else to iptables-nft-save.
#include "rules/nft/translate.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include <cstring>

#include "rules/legacy/format.h"
#include "rules/netlink/attributes.h"

namespace aim {
namespace {

std::string attr(uint16_t type, std::string_view value) { return encode_attribute(type, value); }
std::string be32(uint32_t v) {
  v = htonl(v);
  return std::string(reinterpret_cast<const char*>(&v), 4);
}
std::string be64(uint64_t v) {
  return be32(static_cast<uint32_t>(v >> 32)) + be32(static_cast<uint32_t>(v));
}
std::string str(std::string_view s) { return std::string(s) + '\0'; }
std::string bytes(std::initializer_list<int> b) {
  std::string out;
  for (int c : b) out += static_cast<char>(c);
  return out;
}
std::string value(std::string_view v) { return attr(NFTA_DATA_VALUE, v); }
std::string expr(std::string_view name, const std::string& data) {
  return attr(NFTA_LIST_ELEM,
              attr(NFTA_EXPR_NAME, str(name)) + attr(NLA_F_NESTED | NFTA_EXPR_DATA, data));
}
std::string meta(uint32_t key, uint32_t reg = NFT_REG_1) {
  return expr("meta", attr(NFTA_META_KEY, be32(key)) + attr(NFTA_META_DREG, be32(reg)));
}
std::string payload(uint32_t base, uint32_t offset, uint32_t len) {
  return expr("payload",
              attr(NFTA_PAYLOAD_DREG, be32(NFT_REG_1)) + attr(NFTA_PAYLOAD_BASE, be32(base)) +
                  attr(NFTA_PAYLOAD_OFFSET, be32(offset)) + attr(NFTA_PAYLOAD_LEN, be32(len)));
}
std::string bitwise(const std::string& mask, const std::string& x) {
  return expr("bitwise", attr(NFTA_BITWISE_SREG, be32(NFT_REG_1)) +
                             attr(NFTA_BITWISE_DREG, be32(NFT_REG_1)) +
                             attr(NFTA_BITWISE_LEN, be32(static_cast<uint32_t>(mask.size()))) +
                             attr(NFTA_BITWISE_OP, be32(0)) +
                             attr(NLA_F_NESTED | NFTA_BITWISE_MASK, value(mask)) +
                             attr(NLA_F_NESTED | NFTA_BITWISE_XOR, value(x)));
}
std::string cmp(uint32_t op, const std::string& data) {
  return expr("cmp", attr(NFTA_CMP_SREG, be32(NFT_REG_1)) + attr(NFTA_CMP_OP, be32(op)) +
                         attr(NLA_F_NESTED | NFTA_CMP_DATA, value(data)));
}
std::string counter(bool padded = false) {
  const std::string pad = padded ? attr(NFTA_COUNTER_PAD, "") : "";
  return expr("counter",
              pad + attr(NFTA_COUNTER_BYTES, be64(0)) + pad + attr(NFTA_COUNTER_PACKETS, be64(0)));
}
std::string verdict(int32_t code, std::string_view chain = {}) {
  std::string v = attr(NFTA_VERDICT_CODE, be32(static_cast<uint32_t>(code)));
  if (!chain.empty()) v += attr(NFTA_VERDICT_CHAIN, str(chain));
  return expr("immediate", attr(NFTA_IMMEDIATE_DREG, be32(NFT_REG_VERDICT)) +
                               attr(NLA_F_NESTED | NFTA_IMMEDIATE_DATA,
                                    attr(NLA_F_NESTED | NFTA_DATA_VERDICT, v)));
}
std::string compat(std::string_view kind, std::string_view name, uint32_t rev,
                   const std::string& info) {
  // The match and target attributes share their numbers.
  static_assert(int{NFTA_MATCH_NAME} == int{NFTA_TARGET_NAME} &&
                int{NFTA_MATCH_REV} == int{NFTA_TARGET_REV} &&
                int{NFTA_MATCH_INFO} == int{NFTA_TARGET_INFO});
  return expr(kind, attr(NFTA_MATCH_NAME, str(name)) + attr(NFTA_MATCH_REV, be32(rev)) +
                        attr(NFTA_MATCH_INFO, info));
}
std::string udata_comment(std::string_view text) {
  return bytes({0, static_cast<int>(text.size() + 1)}) + str(text);
}

Result<NftRuleParts> translate(const std::string& expressions, Family family = Family::V4,
                               const std::string* udata = nullptr) {
  return translate_nft_rule(expressions, udata, family);
}

// The reason a refusal gives, so a test cannot pass on another refusal.
std::string refusal(const Result<NftRuleParts>& r) { return r.ok() ? "(accepted)" : r.error(); }

std::string head_text(const NftRuleParts& parts) { return format_rule_head(parts.head); }

// A refusal by the round trip: what iptables-nft would write for the text
// differs from the kernel's rule (nft/expected.h).
bool not_rebuilt(const Result<NftRuleParts>& r) {
  return !r.ok() && r.error().starts_with("its text would not rebuild it");
}

TEST(NftTranslate, InterfacesExactWildcardAndPlus) {
  auto r =
      translate(meta(NFT_META_IIFNAME) + cmp(NFT_CMP_EQ, str("eth0")) + meta(NFT_META_OIFNAME) +
                cmp(NFT_CMP_NEQ, "veth") + counter() + verdict(NF_ACCEPT));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(head_text(*r), " -i eth0 ! -o veth+");
  EXPECT_EQ(r->action.kind, NftAction::Kind::Accept);

  // "! -i +" is written as == "INVAL/D".
  r = translate(meta(NFT_META_IIFNAME) + cmp(NFT_CMP_EQ, str("INVAL/D")) + counter());
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(head_text(*r), " ! -i +");
  // "-i +" is a load compared with nothing, which iptables-nft prints as
  // nothing: that text would rebuild a rule without the load.
  EXPECT_TRUE(not_rebuilt(translate(meta(NFT_META_OIFNAME) + counter())));
  // != "INVAL/D" is just a name.
  r = translate(meta(NFT_META_IIFNAME) + cmp(NFT_CMP_NEQ, str("INVAL/D")) + counter());
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(head_text(*r), " ! -i INVAL/D");
}

TEST(NftTranslate, InterfaceNamesIptablesWouldMisprintAreRefused) {
  // A 15-character prefix: iptables-nft leaves its mask unset and prints nothing.
  EXPECT_EQ(refusal(translate(meta(NFT_META_IIFNAME) + cmp(NFT_CMP_EQ, std::string(15, 'a')))),
            "a 15-character interface wildcard");
  EXPECT_TRUE(
      translate(meta(NFT_META_IIFNAME) + cmp(NFT_CMP_EQ, std::string(14, 'a')) + counter()).ok());
  EXPECT_EQ(refusal(translate(meta(NFT_META_IIFNAME) + cmp(NFT_CMP_EQ, std::string("a\0b\0", 4)))),
            "an interface name holding a NUL");
  EXPECT_EQ(refusal(translate(meta(NFT_META_IIFNAME) + cmp(NFT_CMP_EQ, std::string(17, 'a')))),
            "an interface name of unusual length");
  // Found by the fuzzer: oifname == "" (native nft can write it) is not a
  // name; accepting it left a mask over an empty name.
  EXPECT_EQ(refusal(translate(meta(NFT_META_OIFNAME) + cmp(NFT_CMP_EQ, std::string(1, '\0')))),
            "an empty interface name");
  EXPECT_EQ(refusal(translate(meta(NFT_META_IIFNAME) + cmp(NFT_CMP_EQ, str("a")) +
                              meta(NFT_META_IIFNAME) + cmp(NFT_CMP_EQ, str("b")))),
            "two interface matches of one direction");
}

// iptables-nft never masks an interface name: it compares a prefix. A
// masked name is refused by the reading itself, not only by the round trip
// below it (issue 26: the refusal had no test).
TEST(NftTranslate, MaskedInterfaceNamesAreRefused) {
  const std::string mask(16, '\xff'), x(16, '\0');
  std::string name = str("eth0");
  name.resize(16, '\0');
  EXPECT_EQ(refusal(translate(meta(NFT_META_IIFNAME) + bitwise(mask, x) + cmp(NFT_CMP_EQ, name) +
                              counter())),
            "a masked interface name");
  EXPECT_EQ(refusal(translate(meta(NFT_META_OIFNAME) + bitwise(mask, x) + cmp(NFT_CMP_EQ, name) +
                              counter())),
            "a masked interface name");
}

// The round trip (nft/expected.h) refuses in each of the three ways the
// kernel's expressions and iptables-nft's can differ.
TEST(NftTranslate, EachWayTheRoundTripDiffersIsRefused) {
  // A different expression at one place: a load compared with nothing.
  auto r = translate(meta(NFT_META_OIFNAME) + counter());
  EXPECT_TRUE(refusal(r).starts_with("its text would not rebuild it: expression 1 is meta("))
      << refusal(r);
  // One the kernel has beyond what iptables-nft writes.
  r = translate(counter() + meta(NFT_META_OIFNAME));
  EXPECT_TRUE(refusal(r).starts_with("its text would not rebuild it: expression 2 (meta("))
      << refusal(r);
  // One iptables-nft writes that the kernel lacks: the counter.
  r = translate(meta(NFT_META_IIFNAME) + cmp(NFT_CMP_EQ, str("eth0")));
  EXPECT_TRUE(
      refusal(r).starts_with("its text would not rebuild it: iptables-nft 1.8.9 would also "
                             "write counter("))
      << refusal(r);
}

TEST(NftTranslate, AddressesByteAlignedAndMasked) {
  auto r = translate(payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 1) + cmp(NFT_CMP_EQ, bytes({10})) +
                     payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4) +
                     bitwise(bytes({255, 0, 255, 0}), bytes({0, 0, 0, 0})) +
                     cmp(NFT_CMP_NEQ, bytes({10, 0, 3, 0})) + counter());
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(head_text(*r), " -s 10.0.0.0/8 ! -d 10.0.3.0/255.0.255.0");

  std::string a6(16, '\0');
  a6[0] = 0x20, a6[1] = 0x01;
  r = translate(
      payload(NFT_PAYLOAD_NETWORK_HEADER, 8, 2) + cmp(NFT_CMP_EQ, a6.substr(0, 2)) + counter(),
      Family::V6);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(head_text(*r), " -s 2001::/16");
  // A mask on a partial load, a nonzero xor, a second source: refused.
  EXPECT_EQ(
      refusal(translate(payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 2) +
                        bitwise(bytes({255, 0}), bytes({0, 0})) + cmp(NFT_CMP_EQ, bytes({1, 0})))),
      "an unusual address mask");
  EXPECT_EQ(refusal(translate(payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 4) +
                              bitwise(bytes({255, 255, 255, 0}), bytes({0, 0, 0, 1})) +
                              cmp(NFT_CMP_EQ, bytes({1, 2, 3, 0})))),
            "a bitwise xor");
  EXPECT_EQ(
      refusal(translate(payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 1) + cmp(NFT_CMP_EQ, bytes({1})) +
                        payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 1) + cmp(NFT_CMP_EQ, bytes({2})))),
      "two address matches of one direction");
  // What iptables-nft never writes for an address: a full load with a
  // byte-aligned mask (it loads fewer bytes), bits outside the mask (it
  // masks the address it parses), the destination before the source.
  EXPECT_TRUE(not_rebuilt(translate(payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 4) +
                                    bitwise(bytes({255, 255, 255, 0}), bytes({0, 0, 0, 0})) +
                                    cmp(NFT_CMP_EQ, bytes({10, 1, 2, 0})) + counter())));
  EXPECT_TRUE(not_rebuilt(translate(payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 4) +
                                    bitwise(bytes({255, 0, 255, 0}), bytes({0, 0, 0, 0})) +
                                    cmp(NFT_CMP_EQ, bytes({10, 1, 2, 0})) + counter())));
  EXPECT_TRUE(not_rebuilt(translate(
      payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 1) + cmp(NFT_CMP_EQ, bytes({10})) +
      payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 1) + cmp(NFT_CMP_EQ, bytes({10})) + counter())));
  // A comparison other than == / != (a prefix range, "<="): refused.
  EXPECT_FALSE(translate(payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4) +
                         cmp(NFT_CMP_LTE, bytes({168, 63, 129, 16})) + counter())
                   .ok());
}

TEST(NftTranslate, FragmentsAndProtocol) {
  const std::string frag =
      payload(NFT_PAYLOAD_NETWORK_HEADER, 6, 2) + bitwise(bytes({0x1f, 0xff}), bytes({0, 0}));
  auto r = translate(meta(NFT_META_L4PROTO) + cmp(NFT_CMP_NEQ, bytes({17})) + frag +
                     cmp(NFT_CMP_EQ, bytes({0, 0})) + counter());
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(head_text(*r), " ! -p 17 ! -f");
  EXPECT_EQ(refusal(translate(frag + cmp(NFT_CMP_EQ, bytes({0, 1})))),
            "a network header comparison at offset 6");
  // No -f in IPv6 (offset 6 is the next header, which iptables-nft misreads).
  EXPECT_EQ(refusal(translate(frag + cmp(NFT_CMP_NEQ, bytes({0, 0})), Family::V6)),
            "a network header comparison at offset 6");
}

TEST(NftTranslate, PortsAsIptablesNftReadsThem) {
  const std::string tcp = meta(NFT_META_L4PROTO) + cmp(NFT_CMP_EQ, bytes({IPPROTO_TCP}));
  // "! --sport 0:100" is written as > 100, which iptables-nft 1.8.9 reads
  // back as 101:65535: that text rebuilds a range, not the rule.
  EXPECT_TRUE(not_rebuilt(translate(tcp + payload(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2) +
                                    cmp(NFT_CMP_GT, bytes({0, 100})) + counter())));
  // "--sport :100" is <= 100.
  auto r = translate(tcp + payload(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2) +
                     cmp(NFT_CMP_LTE, bytes({0, 100})) + counter());
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->matches.size(), 1u);
  EXPECT_EQ(r->matches[0].kind, NftMatchPart::Kind::Tcp);
  EXPECT_EQ(r->matches[0].ports.spts[0], 0);
  EXPECT_EQ(r->matches[0].ports.spts[1], 100);
  // Flags, then both ports in one comparison (iptables-nft's order): one
  // tcp match. The other order is not what iptables-nft writes.
  const std::string flags = payload(NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1) +
                            bitwise(bytes({0x12}), bytes({0})) + cmp(NFT_CMP_EQ, bytes({0x02}));
  const std::string ports =
      payload(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 4) + cmp(NFT_CMP_NEQ, bytes({0, 80, 1, 187}));
  EXPECT_TRUE(not_rebuilt(translate(tcp + ports + flags + counter())));
  r = translate(tcp + flags + ports + counter());
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->matches.size(), 1u);
  const NftPorts& p = r->matches[0].ports;
  EXPECT_EQ(p.spts[0], 80);
  EXPECT_EQ(p.dpts[1], 443);
  EXPECT_EQ(p.invflags, 0x03);
  EXPECT_EQ(p.flg_mask, 0x12);
  EXPECT_EQ(p.flg_cmp, 0x02);
  // Ports without "-p tcp/udp", masked ports, flags of udp: refused.
  EXPECT_EQ(refusal(translate(payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2) +
                              cmp(NFT_CMP_EQ, bytes({0, 1})))),
            "a transport header match without -p tcp or -p udp");
  EXPECT_EQ(
      refusal(translate(tcp + payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2) +
                        bitwise(bytes({0xff, 0}), bytes({0, 0})) + cmp(NFT_CMP_EQ, bytes({0, 1})))),
      "a masked port comparison");
  EXPECT_EQ(refusal(translate(meta(NFT_META_L4PROTO) + cmp(NFT_CMP_EQ, bytes({IPPROTO_UDP})) +
                              payload(NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1) +
                              cmp(NFT_CMP_EQ, bytes({2})))),
            "a transport header comparison at offset 13");
}

TEST(NftTranslate, MatchesKeepTheirOrderAndACommentInUserDataIsNotIptables) {
  const std::string udata = udata_comment("hello");
  const std::string rule = compat("match", "conntrack", 3, std::string(8, '\0')) +
                           meta(NFT_META_MARK) + cmp(NFT_CMP_NEQ, bytes({1, 0, 0, 0})) +
                           counter(true) + verdict(NFT_GOTO, "USER");
  // iptables-nft 1.8.9 writes a comment as a compat match, never as user
  // data: "-m comment" text would rebuild another rule.
  auto r = translate(rule, Family::V4, &udata);
  EXPECT_EQ(refusal(r),
            "its text would not rebuild it: expression 4 is counter() where iptables-nft 1.8.9 "
            "writes <a comment in the rule's user data>");
  r = translate(rule);
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->matches.size(), 2u);
  EXPECT_EQ(r->matches[0].name, "conntrack");
  EXPECT_EQ(r->matches[0].revision, 3u);
  EXPECT_EQ(r->matches[1].kind, NftMatchPart::Kind::Mark);
  EXPECT_TRUE(r->matches[1].invert);
  EXPECT_EQ(r->matches[1].mask, 0xffffffffu);
  EXPECT_EQ(r->action.kind, NftAction::Kind::Goto);
  EXPECT_EQ(r->action.chain, "USER");
}

// The kernel checks a protocol-bound match against the rule's compat
// protocol, which it never dumps: "! -p sctp -m sctp" made over netlink is
// a rule iptables-nft-restore refuses to build from its text.
TEST(NftTranslate, ProtocolBoundMatchWithoutItsProtocolIsRefused) {
  const std::string sctp = compat("match", "sctp", 0, std::string(32, '\0'));
  EXPECT_TRUE(
      translate(meta(NFT_META_L4PROTO) + cmp(NFT_CMP_EQ, bytes({IPPROTO_SCTP})) + sctp + counter())
          .ok());
  EXPECT_NE(refusal(translate(meta(NFT_META_L4PROTO) + cmp(NFT_CMP_NEQ, bytes({IPPROTO_SCTP})) +
                              sctp + counter()))
                .find("without the protocol the kernel requires"),
            std::string::npos);
  EXPECT_NE(refusal(translate(sctp + counter())).find("without the protocol"), std::string::npos);
  EXPECT_NE(refusal(translate(meta(NFT_META_L4PROTO) + cmp(NFT_CMP_EQ, bytes({IPPROTO_ICMP})) +
                                  compat("match", "icmp6", 0, std::string(8, '\0')) + counter(),
                              Family::V6))
                .find("without the protocol"),
            std::string::npos);
}

TEST(NftTranslate, UserDataOtherThanOneCommentIsRefused) {
  const std::string unterminated = bytes({0, 2, 'h', 'i'});
  const std::string other_type = bytes({1, 4, 0, 0, 0, 1});
  const std::string two = udata_comment("a") + udata_comment("b");
  const std::string cut = bytes({0, 9, 'h'});
  EXPECT_EQ(refusal(translate(counter(), Family::V4, &unterminated)),
            "a rule comment that is not one NUL-terminated string");
  EXPECT_EQ(refusal(translate(counter(), Family::V4, &other_type)), "rule user data of type 1");
  EXPECT_EQ(refusal(translate(counter(), Family::V4, &two)),
            "two comments in the rule's user data");
  EXPECT_EQ(refusal(translate(counter(), Family::V4, &cut)), "malformed rule user data");
}

TEST(NftTranslate, WhatIptablesNftDoesNotWriteIsRefused) {
  // An expression it does not know, named in the reason.
  auto r = translate(expr("lookup", attr(1, str("s"))));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("lookup"), std::string::npos) << r.error();
  // Anything after the verdict, a verdict it does not use, another register.
  EXPECT_EQ(refusal(translate(verdict(NF_DROP) + counter())),
            "an expression after the rule's verdict");
  EXPECT_EQ(refusal(translate(verdict(NFT_CONTINUE))), "verdict -1");
  EXPECT_EQ(refusal(translate(verdict(NFT_JUMP))), "a jump without a chain");
  EXPECT_EQ(refusal(translate(meta(NFT_META_IIFNAME, NFT_REG32_00) + cmp(NFT_CMP_EQ, str("a")))),
            "an unusual meta load");
  // A value loaded and never compared (other than an interface name).
  EXPECT_EQ(refusal(translate(meta(NFT_META_MARK) + counter())),
            "a counter expression while a loaded value waits for its comparison");
  // A meta key it does not write (iif by index).
  EXPECT_EQ(refusal(translate(meta(NFT_META_IIF) + cmp(NFT_CMP_EQ, be32(1)))), "meta key 4");
  // A compat target followed by a verdict.
  EXPECT_EQ(
      refusal(translate(compat("target", "MARK", 2, std::string(8, '\0')) + verdict(NF_ACCEPT))),
      "an expression after the rule's verdict");
  // Malformed: an attribute longer than its container.
  EXPECT_EQ(refusal(translate(bytes({40, 0, 1, 0}))), "a malformed expression list");
}

TEST(NftTranslate, NativeLimitAndLog) {
  auto r =
      translate(expr("limit", attr(NFTA_LIMIT_RATE, be64(5)) + attr(NFTA_LIMIT_UNIT, be64(60)) +
                                  attr(NFTA_LIMIT_BURST, be32(5)) +
                                  attr(NFTA_LIMIT_TYPE, be32(NFT_LIMIT_PKTS)) +
                                  attr(NFTA_LIMIT_FLAGS, be32(0))) +
                counter() +
                expr("log", attr(NFTA_LOG_PREFIX, str("p")) + attr(NFTA_LOG_GROUP, bytes({0, 3}))));
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->matches.size(), 1u);
  EXPECT_EQ(r->matches[0].avg, 10000u * 60 / 5);
  EXPECT_EQ(r->matches[0].burst, 5u);
  EXPECT_EQ(r->action.kind, NftAction::Kind::Nflog);
  EXPECT_EQ(r->action.group, 3);
  EXPECT_EQ(r->action.prefix, "p");
  // A byte limit, a rate of 0, a log to the kernel log (no group): refused.
  EXPECT_EQ(refusal(translate(expr("limit", attr(NFTA_LIMIT_RATE, be64(5)) +
                                                attr(NFTA_LIMIT_UNIT, be64(1)) +
                                                attr(NFTA_LIMIT_BURST, be32(5)) +
                                                attr(NFTA_LIMIT_TYPE, be32(NFT_LIMIT_PKT_BYTES))))),
            "a limit other than iptables' packet limit");
  EXPECT_EQ(refusal(translate(expr("limit", attr(NFTA_LIMIT_RATE, be64(0)) +
                                                attr(NFTA_LIMIT_UNIT, be64(1)) +
                                                attr(NFTA_LIMIT_BURST, be32(5)) +
                                                attr(NFTA_LIMIT_TYPE, be32(NFT_LIMIT_PKTS))))),
            "a limit of unusual rate");
  EXPECT_EQ(refusal(translate(expr("log", attr(NFTA_LOG_PREFIX, str("p"))))),
            "a log statement without a group");
}

// iptables text splits at spaces and unquotes quotes: a name holding one
// would be read back as other words (the oracle found "-i lo +").
TEST(NftTranslate, InterfaceNamesTextCannotCarryAreRefused) {
  for (const std::string& name :
       std::vector<std::string>{"lo +", "a\"b", "a'b", "a\\b", std::string("a\x01", 2), "a\x7f"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(refusal(translate(meta(NFT_META_IIFNAME) + cmp(NFT_CMP_EQ, str(name)) + counter())),
              "an interface name iptables text cannot carry (a space, quote or control character)");
    EXPECT_EQ(refusal(translate(meta(NFT_META_OIFNAME) + cmp(NFT_CMP_EQ, name) + counter())),
              "an interface name iptables text cannot carry (a space, quote or control character)");
  }
  EXPECT_TRUE(
      translate(meta(NFT_META_IIFNAME) + cmp(NFT_CMP_EQ, str("eth0.1@x")) + counter()).ok());
}

// A chain name iptables text can carry: what -N takes and -S prints as one word.
TEST(NftTranslate, ChainNamesIptablesTextCanCarry) {
  EXPECT_TRUE(iptables_chain_name("KUBE-SVC-ABCDEF"));
  EXPECT_TRUE(iptables_chain_name(std::string(28, 'a')));
  EXPECT_FALSE(iptables_chain_name(std::string(29, 'a')));
  EXPECT_FALSE(iptables_chain_name(""));
  EXPECT_FALSE(iptables_chain_name("-x"));
  EXPECT_FALSE(iptables_chain_name("!x"));
  EXPECT_TRUE(iptables_chain_name("x-!"));
  for (const std::string& bad :
       std::vector<std::string>{"a b", "a\"b", "a'b", "a\\b", "a\nb", "a\x7f", "\xc3\xa9"})
    EXPECT_FALSE(iptables_chain_name(bad)) << bad;
}

// Targets whose kernel check needs a protocol iptables would have parsed
// first: made over netlink without it, no iptables text builds the rule.
TEST(NftTranslate, TargetsWithoutTheProtocolTheirCheckNeedsAreRefused) {
  const std::string tcp = meta(NFT_META_L4PROTO) + cmp(NFT_CMP_EQ, bytes({IPPROTO_TCP}));
  const std::string udp = meta(NFT_META_L4PROTO) + cmp(NFT_CMP_EQ, bytes({IPPROTO_UDP}));
  const std::string icmp = meta(NFT_META_L4PROTO) + cmp(NFT_CMP_EQ, bytes({IPPROTO_ICMP}));
  std::string reset(8, '\0');
  const uint32_t with = IPT_TCP_RESET;
  std::memcpy(reset.data(), &with, sizeof with);
  const std::string reject = compat("target", "REJECT", 0, reset);
  auto ok = translate(tcp + counter() + reject);
  ASSERT_TRUE(ok.ok()) << ok.error();
  EXPECT_NE(refusal(translate(udp + counter() + reject))
                .find("REJECT --reject-with tcp-reset without -p tcp"),
            std::string::npos);
  EXPECT_NE(
      refusal(translate(counter() + reject)).find("REJECT --reject-with tcp-reset without -p tcp"),
      std::string::npos);
  const std::string tproxy = compat("target", "TPROXY", 1, std::string(32, '\0'));
  auto tproxy_ok = translate(udp + counter() + tproxy);
  ASSERT_TRUE(tproxy_ok.ok()) << tproxy_ok.error();
  EXPECT_NE(refusal(translate(icmp + counter() + tproxy)).find("TPROXY without -p tcp or -p udp"),
            std::string::npos);
  EXPECT_NE(refusal(translate(counter() + tproxy)).find("TPROXY without -p tcp or -p udp"),
            std::string::npos);
}

}  // namespace
}  // namespace aim
