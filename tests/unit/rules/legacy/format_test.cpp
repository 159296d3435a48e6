#include "rules/legacy/format.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>

namespace aim {
namespace {

struct V4 {
  uint8_t b[4];
};
V4 v4(const char* text) {
  V4 a{};
  EXPECT_EQ(inet_pton(AF_INET, text, a.b), 1) << text;
  return a;
}
struct V6 {
  uint8_t b[16];
};
V6 v6(const char* text) {
  V6 a{};
  EXPECT_EQ(inet_pton(AF_INET6, text, a.b), 1) << text;
  return a;
}

TEST(LegacyFormat, Ipv4AddressUnsetPrintsNothing) {
  EXPECT_EQ(format_ipv4_address('s', v4("0.0.0.0").b, v4("0.0.0.0").b, false), "");
}

TEST(LegacyFormat, Ipv4AddressWithPrefix) {
  EXPECT_EQ(format_ipv4_address('s', v4("10.0.0.0").b, v4("255.0.0.0").b, false), " -s 10.0.0.0/8");
  EXPECT_EQ(format_ipv4_address('d', v4("10.1.2.3").b, v4("255.255.255.255").b, true),
            " ! -d 10.1.2.3/32");
}

TEST(LegacyFormat, Ipv4ZeroAddressNegatedStillPrinted) {
  EXPECT_EQ(format_ipv4_address('s', v4("0.0.0.0").b, v4("0.0.0.0").b, true), " ! -s 0.0.0.0/0");
}

TEST(LegacyFormat, Ipv4NonContiguousMaskPrintedDotted) {
  EXPECT_EQ(format_ipv4_address('s', v4("1.0.3.0").b, v4("255.0.255.0").b, false),
            " -s 1.0.3.0/255.0.255.0");
}

TEST(LegacyFormat, Ipv6Addresses) {
  EXPECT_EQ(format_ipv6_address('s', v6("::").b, v6("::").b, false), "");
  EXPECT_EQ(format_ipv6_address('s', v6("fd00:244::").b, v6("ffff:ffff:ffff:ff00::").b, false),
            " -s fd00:244::/56");
  EXPECT_EQ(format_ipv6_address('d', v6("fd00::1").b,
                                v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").b, true),
            " ! -d fd00::1/128");
  EXPECT_EQ(format_ipv6_address('s', v6("2001:db8::").b, v6("ffff:ffff:0:ffff::").b, false),
            " -s 2001:db8::/ffff:ffff:0:ffff::");
}

TEST(LegacyFormat, InterfaceExactAndWildcard) {
  char name[16] = {};
  uint8_t mask[16] = {};
  EXPECT_EQ(format_interface('i', name, mask, false), "");

  std::strcpy(name, "eth0");
  std::memset(mask, 0xff, 5);  // "eth0" and its NUL must match
  EXPECT_EQ(format_interface('i', name, mask, false), " -i eth0");
  EXPECT_EQ(format_interface('o', name, mask, true), " ! -o eth0");

  std::memset(name, 0, sizeof name);
  std::memset(mask, 0, sizeof mask);
  std::strcpy(name, "veth");
  std::memset(mask, 0xff, 4);  // prefix only: "veth+"
  EXPECT_EQ(format_interface('i', name, mask, false), " -i veth+");
}

TEST(LegacyFormat, InterfaceOfFullLength) {
  char name[16];
  std::memcpy(name, "abcdefghijklmno", 16);  // 15 chars + NUL
  uint8_t mask[16];
  std::memset(mask, 0xff, 16);
  EXPECT_EQ(format_interface('i', name, mask, false), " -i abcdefghijklmno");
}

TEST(LegacyFormat, Protocol) {
  EXPECT_EQ(format_protocol(0, "", false), "");
  EXPECT_EQ(format_protocol(6, "tcp", false), " -p tcp");
  EXPECT_EQ(format_protocol(17, "udp", true), " ! -p udp");
  EXPECT_EQ(format_protocol(253, "", false), " -p 253");
}

TEST(LegacyFormat, RuleHeadOrderIpv4) {
  aim_rule_head h{};
  h.family = 4;
  std::memcpy(h.src, v4("192.168.0.0").b, 4);
  std::memcpy(h.src_mask, v4("255.255.0.0").b, 4);
  std::memcpy(h.dst, v4("10.0.0.1").b, 4);
  std::memcpy(h.dst_mask, v4("255.255.255.255").b, 4);
  std::strcpy(h.in_iface, "eth0");
  std::memset(h.in_iface_mask, 0xff, 5);
  h.proto = 6;
  std::strcpy(h.proto_name, "tcp");
  h.inv_proto = 1;
  h.frag = 1;
  h.inv_frag = 1;
  EXPECT_EQ(format_rule_head(h), " -s 192.168.0.0/16 -d 10.0.0.1/32 -i eth0 ! -p tcp ! -f");
}

TEST(LegacyFormat, RuleHeadIpv6IgnoresFragAndPrintsTos) {
  aim_rule_head h{};
  h.family = 6;
  h.frag = 1;  // not an IPv6 field: never printed
  h.has_tos = 1;
  h.tos = 4;
  EXPECT_EQ(format_rule_head(h), " -? 4");
}

}  // namespace
}  // namespace aim
