#include "rules/netlink/notifications.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <cstring>

#include "rules/netlink/attributes.h"

namespace aim {
namespace {

std::string attribute(uint16_t type, const std::string& value) {
  return encode_attribute(type, value);
}
std::string text(uint16_t type, const std::string& s) { return attribute(type, s + '\0'); }
std::string be32(uint16_t type, uint32_t v) {
  const uint32_t n = htonl(v);
  return attribute(type, std::string(reinterpret_cast<const char*>(&n), 4));
}
std::string be64(uint16_t type, uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[7 - i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return attribute(type, out);
}

// One nf_tables message as the kernel sends it to the group.
std::string message(uint16_t type, uint8_t family, const std::string& attributes,
                    uint16_t subsystem = NFNL_SUBSYS_NFTABLES, uint16_t flags = 0) {
  std::string out(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)), '\0');
  out += attributes;
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(out.size());
  h.nlmsg_type = static_cast<uint16_t>((subsystem << 8) | type);
  h.nlmsg_flags = flags;
  nfgenmsg g{};
  g.nfgen_family = family;
  std::memcpy(out.data(), &h, sizeof h);
  std::memcpy(out.data() + NLMSG_HDRLEN, &g, sizeof g);
  out.append(NLMSG_ALIGN(out.size()) - out.size(), '\0');
  return out;
}

TEST(NftNotifications, NameTheTableAndChainOfRulesAndChainsAndTheGeneration) {
  const std::string datagram =
      message(NFT_MSG_NEWRULE, NFPROTO_IPV4,
              text(NFTA_RULE_TABLE, "nat") + text(NFTA_RULE_CHAIN, "KUBE-SVC-X") +
                  be64(NFTA_RULE_HANDLE, 7)) +
      message(NFT_MSG_DELCHAIN, NFPROTO_IPV6,
              text(NFTA_CHAIN_TABLE, "filter") + text(NFTA_CHAIN_NAME, "USER")) +
      message(NFT_MSG_NEWSET, NFPROTO_IPV4, text(NFTA_SET_TABLE, "filter")) +
      message(NFT_MSG_NEWGEN, NFPROTO_UNSPEC, be32(NFTA_GEN_ID, 4242));
  bool malformed = false;
  const auto got = parse_nft_notifications(datagram, malformed);
  EXPECT_FALSE(malformed);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].type, NFT_MSG_NEWRULE);
  EXPECT_EQ(got[0].family, NFPROTO_IPV4);
  EXPECT_EQ(got[0].table, "nat");
  EXPECT_EQ(got[0].chain, "KUBE-SVC-X");
  EXPECT_EQ(got[1].type, NFT_MSG_DELCHAIN);
  EXPECT_EQ(got[1].family, NFPROTO_IPV6);
  EXPECT_EQ(got[1].table, "filter");
  EXPECT_EQ(got[1].chain, "USER");
  EXPECT_EQ(got[2].table, "filter");
  EXPECT_EQ(got[2].chain, "");
  EXPECT_EQ(got[3].type, NFT_MSG_NEWGEN);
  EXPECT_EQ(got[3].generation, 4242u);
}

TEST(NftNotifications, ANewRuleCarriesItsHandlePlaceFlagsAndBytes) {
  const std::string expressions = attribute(NFTA_LIST_ELEM, "expression bytes");
  const std::string datagram =
      message(NFT_MSG_NEWRULE, NFPROTO_IPV4,
              text(NFTA_RULE_TABLE, "nat") + text(NFTA_RULE_CHAIN, "KUBE-SERVICES") +
                  be64(NFTA_RULE_HANDLE, 0x1122334455667788ULL) +
                  attribute(NFTA_RULE_EXPRESSIONS, expressions) + be64(NFTA_RULE_POSITION, 41) +
                  attribute(NFTA_RULE_USERDATA, std::string("\0\x02x\0", 4)),
              NFNL_SUBSYS_NFTABLES, NLM_F_CREATE | NLM_F_APPEND) +
      message(NFT_MSG_DELRULE, NFPROTO_IPV4,
              text(NFTA_RULE_TABLE, "nat") + text(NFTA_RULE_CHAIN, "KUBE-SERVICES") +
                  be64(NFTA_RULE_HANDLE, 9) + attribute(NFTA_RULE_EXPRESSIONS, expressions));
  bool malformed = false;
  const auto got = parse_nft_notifications(datagram, malformed);
  EXPECT_FALSE(malformed);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].rule_handle, 0x1122334455667788ULL);
  EXPECT_EQ(got[0].position, 41u);
  EXPECT_EQ(got[0].flags, NLM_F_CREATE | NLM_F_APPEND);
  EXPECT_EQ(got[0].expressions, expressions);
  ASSERT_TRUE(got[0].userdata.has_value());
  EXPECT_EQ(*got[0].userdata, std::string("\0\x02x\0", 4));
  // A deletion names the rule; what it held is not kept.
  EXPECT_EQ(got[1].rule_handle, 9u);
  EXPECT_EQ(got[1].position, 0u);
  EXPECT_EQ(got[1].expressions, "");
  EXPECT_FALSE(got[1].userdata.has_value());
}

TEST(NftNotifications, OtherSubsystemsAreSkipped) {
  bool malformed = false;
  const auto got = parse_nft_notifications(
      message(NFT_MSG_NEWRULE, NFPROTO_IPV4, text(NFTA_RULE_TABLE, "nat"), NFNL_SUBSYS_QUEUE),
      malformed);
  EXPECT_TRUE(got.empty());
  EXPECT_FALSE(malformed);
}

TEST(NftNotifications, WhatCannotBeTrustedSaysSo) {
  const std::string rule = message(NFT_MSG_NEWRULE, NFPROTO_IPV4,
                                   text(NFTA_RULE_TABLE, "nat") + text(NFTA_RULE_CHAIN, "C"));
  struct Case {
    const char* what;
    std::string datagram;
  } cases[] = {
      {"rule without its chain", message(NFT_MSG_NEWRULE, NFPROTO_IPV4, text(1, "nat"))},
      {"rule without its handle", rule},
      {"rule with a short handle",
       message(
           NFT_MSG_DELRULE, NFPROTO_IPV4,
           text(NFTA_RULE_TABLE, "nat") + text(NFTA_RULE_CHAIN, "C") + be32(NFTA_RULE_HANDLE, 3))},
      {"chain without its table", message(NFT_MSG_NEWCHAIN, NFPROTO_IPV4, text(3, "C"))},
      {"generation without id", message(NFT_MSG_NEWGEN, NFPROTO_UNSPEC, "")},
      {"cut in the middle", rule.substr(0, rule.size() - 6)},
      {"attribute longer than the message",
       message(NFT_MSG_NEWRULE, NFPROTO_IPV4, std::string("\xff\x00\x01\x00", 4))},
      {"header shorter than nf_tables'",
       [] {
         nlmsghdr h{};
         h.nlmsg_len = NLMSG_HDRLEN;
         h.nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE;
         return std::string(reinterpret_cast<const char*>(&h), sizeof h);
       }()},
  };
  for (const Case& c : cases) {
    bool malformed = false;
    parse_nft_notifications(c.datagram, malformed);
    EXPECT_TRUE(malformed) << c.what;
  }
}

}  // namespace
}  // namespace aim
