// The nf_tables change monitor against the real kernel, in a private
// namespace: notifications the kernel had to drop make the change list
// untrusted (issue 26: no test overflowed the socket, and a monitor that
// kept calling its list intact let the kept helper miss changed chains).
#include "rules/changes/sources.h"

#include <gtest/gtest.h>

#include <string>

#include "netns.h"
#include "require.h"

namespace aim {
namespace {

using namespace std::chrono_literals;
using test::run;

class NftChangeMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = test::enter_fresh_netns();
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
    if (run("command -v nft >/dev/null").status != 0)
      AIM_REQUIRE_OR_SKIP("nft (package nftables) is not installed");
  }
  // One nft batch of `rules` rules: one notification each.
  static int add_rules(int rules) {
    std::string batch = "add table ip t\nadd chain ip t c\n";
    for (int i = 0; i < rules; ++i)
      batch += "add rule ip t c tcp dport " + std::to_string(1000 + i) + " accept\n";
    return run("printf '%s' " + test::quote(batch) + " | nft -f -").status;
  }
};

TEST_F(NftChangeMonitorTest, FewChangesArriveIntact) {
  NftChangeMonitor monitor;
  ASSERT_TRUE(monitor.open().ok());
  ASSERT_EQ(add_rules(3), 0);
  std::vector<NftNotification> got;
  EXPECT_TRUE(monitor.receive(got, 1s));
  EXPECT_FALSE(got.empty());
}

// A receive buffer far smaller than the batch: the kernel drops
// notifications (ENOBUFS), and what arrives is not the whole story.
TEST_F(NftChangeMonitorTest, DroppedNotificationsAreNotIntact) {
  NftChangeMonitor monitor;
  ASSERT_TRUE(monitor.open(4096).ok());
  ASSERT_EQ(add_rules(2000), 0);
  std::vector<NftNotification> got;
  EXPECT_FALSE(monitor.receive(got, 1s)) << got.size() << " notifications read as the whole list";
}

}  // namespace
}  // namespace aim
