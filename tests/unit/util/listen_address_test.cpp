// --listen ADDRESS:PORT (util/listen_address.h): numeric addresses only,
// IPv6 in brackets, a port from 1 to 65535; anything else a clear error.
#include "util/listen_address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

namespace aim {
namespace {

TEST(ListenAddress, IPv4) {
  auto a = parse_listen_address("127.0.0.1:9871");
  ASSERT_TRUE(a) << a.error();
  const auto* in = reinterpret_cast<const sockaddr_in*>(&a->address);
  EXPECT_EQ(in->sin_family, AF_INET);
  EXPECT_EQ(ntohs(in->sin_port), 9871);
  EXPECT_EQ(ntohl(in->sin_addr.s_addr), 0x7f000001u);
  EXPECT_EQ(a->length, sizeof(sockaddr_in));
  EXPECT_EQ(a->text, "127.0.0.1:9871");
  EXPECT_TRUE(parse_listen_address("0.0.0.0:1"));
  EXPECT_TRUE(parse_listen_address("10.1.2.3:65535"));
}

TEST(ListenAddress, IPv6InBrackets) {
  auto a = parse_listen_address("[::1]:9000");
  ASSERT_TRUE(a) << a.error();
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a->address);
  EXPECT_EQ(in6->sin6_family, AF_INET6);
  EXPECT_EQ(ntohs(in6->sin6_port), 9000);
  EXPECT_TRUE(IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr));
  EXPECT_EQ(a->length, sizeof(sockaddr_in6));
  EXPECT_TRUE(parse_listen_address("[fd00::1:2]:80"));
}

TEST(ListenAddress, RefusesWhatIsNotANumericAddressAndPort) {
  for (const char* bad : {"",
                          "9000",
                          ":9000",
                          "127.0.0.1",
                          "127.0.0.1:",
                          "127.0.0.1:0",
                          "127.0.0.1:65536",
                          "127.0.0.1:90x",
                          "127.0.0.1:-1",
                          "127.0.0.1: 90",
                          "localhost:9000",
                          "127.1:9000",
                          "::1:9000",
                          "[::1]",
                          "[::1:9000",
                          "[]:9000",
                          "[127.0.0.1]:9000",
                          "[::1]x:9000",
                          "1.2.3.4.5:80",
                          "127.0.0.1:+80"}) {
    auto a = parse_listen_address(bad);
    EXPECT_FALSE(a) << bad;
    if (!a) {
      EXPECT_NE(a.error().find(std::string("'") + bad + "'"), std::string::npos) << a.error();
      EXPECT_NE(a.error().find("ADDRESS:PORT"), std::string::npos) << a.error();
    }
  }
  EXPECT_NE(parse_listen_address("::1:9000").error().find("brackets"), std::string::npos);
}

}  // namespace
}  // namespace aim
