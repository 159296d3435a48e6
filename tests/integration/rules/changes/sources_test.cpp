// The change sources against the real kernel, in a private namespace. The
// nf_tables change monitor: notifications the kernel had to drop make the
// change list untrusted (issue 26: no test overflowed the socket, and a
// monitor that kept calling its list intact let the kept helper miss changed
// chains). The x_tables fingerprint (issue 29): a same-size replacement
// (`iptables-legacy -R`), which the size poll cannot see, moves it, and a
// flood of packets through counted rules does not.
#include "rules/changes/sources.h"

#include <gtest/gtest.h>

#include <string>

#include "netns.h"
#include "packet_flood.h"
#include "require.h"

namespace aim {
namespace {

using namespace std::chrono_literals;
using test::run;

class NftChangeMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = test::enter_fresh_netns_with_nft("to make changes");
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
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

class XtFingerprintTest : public ::testing::TestWithParam<Family> {
 protected:
  void SetUp() override {
    const std::string why = test::enter_fresh_netns();
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
    if (run("command -v " + legacy() + " >/dev/null").status != 0)
      AIM_REQUIRE_OR_SKIP(legacy() + " is not installed");
  }
  Family family() const { return GetParam(); }
  std::string legacy() const { return test::legacy_binary(family()); }
  std::string table() const { return std::string(family_name(family())) + " filter"; }
  XtTableFingerprint fingerprint(XtTableFingerprinter& f) {
    XtTableFingerprinter::Pass pass = f.read();
    auto it = pass.tables.find(table());
    return it == pass.tables.end() ? XtTableFingerprint{std::nullopt, "no such table"} : it->second;
  }
};

TEST_P(XtFingerprintTest, ASameSizeReplacementMovesTheFingerprintAndNotTheSize) {
  ASSERT_EQ(run(legacy() + " -A INPUT -p udp -m udp --dport 68 -j ACCEPT").status, 0);
  XtTablePoller poller({family()});
  XtTableFingerprinter fingerprinter({family()});
  const XtTableSizes sizes = poller.poll();
  const XtTableFingerprint before = fingerprint(fingerprinter);
  ASSERT_TRUE(before.digest) << before.error;
  EXPECT_EQ(fingerprint(fingerprinter).digest, before.digest) << "nothing changed";

  ASSERT_EQ(run(legacy() + " -R INPUT 1 -p udp -m udp --dport 69 -j ACCEPT").status, 0);
  EXPECT_TRUE(changed_tables(sizes, poller.poll()).empty()) << "the size poll sees it after all";
  const XtTableFingerprint after = fingerprint(fingerprinter);
  ASSERT_TRUE(after.digest) << after.error;
  EXPECT_NE(after.digest, before.digest);
  EXPECT_EQ(moved_fingerprints({{table(), before}}, {{table(), after}}),
            std::vector<std::string>{table()});

  // Back to the first rule: the first digest again (it is the rules', not
  // the moment's).
  ASSERT_EQ(run(legacy() + " -R INPUT 1 -p udp -m udp --dport 68 -j ACCEPT").status, 0);
  EXPECT_EQ(fingerprint(fingerprinter).digest, before.digest);
}

TEST_P(XtFingerprintTest, TrafficThroughCountedRulesLeavesTheFingerprint) {
  const std::string lo = test::loopback_up();
  if (!lo.empty()) AIM_REQUIRE_OR_SKIP(lo);
  ASSERT_EQ(run(legacy() + " -A OUTPUT -p udp -m udp --dport 9 -j ACCEPT && " + legacy() +
                " -A INPUT -p udp -m udp --dport 9 -j ACCEPT")
                .status,
            0);
  XtTableFingerprinter fingerprinter({family()});
  const XtFingerprints before = fingerprinter.read().tables;
  ASSERT_TRUE(before.count(table()) && before.at(table()).digest);
  const long sent = test::flood_udp(family(), 9, std::chrono::milliseconds(500));
  ASSERT_GT(sent, 1000);
  // The counters did move: the kernel counted the flood.
  EXPECT_GE(test::legacy_rule_packets(family(), "filter", "-A OUTPUT -p udp"), sent / 2);
  const XtFingerprints after = fingerprinter.read().tables;
  const std::vector<std::string> moved = moved_fingerprints(before, after);
  EXPECT_TRUE(moved.empty()) << sent << " packets were a change of " << moved.front();
}

// Tables share one copy buffer; a change in one (nat, grown and shifted)
// moves that table's fingerprint and no other's: nothing a previous copy
// left in the buffer counts (the kernel leaves the bytes after each match's
// name unwritten).
TEST_P(XtFingerprintTest, AChangeInOneTableMovesOnlyThatTable) {
  std::string rules = "*filter\n";
  for (int i = 0; i < 5; ++i)
    rules += "-A INPUT -p udp -m udp --dport " + std::to_string(100 + i) +
             " -m comment --comment \"f\" -j ACCEPT\n";
  rules += "COMMIT\n*nat\n";
  for (int i = 0; i < 60; ++i)
    rules += "-A POSTROUTING -p tcp -m tcp --dport " + std::to_string(2000 + i) +
             " -m comment --comment \"a long comment that fills the name tails " +
             std::to_string(i) + "\" -j ACCEPT\n";
  rules += "COMMIT\n";
  ASSERT_EQ(test::load_legacy_text(rules, family()), "");
  XtTableFingerprinter fingerprinter({family()});
  const XtFingerprints first = fingerprinter.read().tables;
  EXPECT_TRUE(moved_fingerprints(first, fingerprinter.read().tables).empty());
  ASSERT_EQ(run(legacy() + " -t nat -I POSTROUTING 1 -p udp -m udp --dport 53 -m comment "
                           "--comment \"x\" -j ACCEPT")
                .status,
            0);
  const std::string nat = std::string(family_name(family())) + " nat";
  EXPECT_EQ(moved_fingerprints(first, fingerprinter.read().tables), std::vector<std::string>{nat});
}

// A table above the copy cap has no fingerprint, says why, and is counted
// as changed at every pass (fail-safe), never as unchanged.
TEST_P(XtFingerprintTest, ATableAboveTheCapIsNamedAndAlwaysChanged) {
  ASSERT_EQ(run(legacy() + " -S >/dev/null").status, 0);  // loads filter
  XtTableFingerprinter capped({family()}, 64);
  const XtTableFingerprint got = fingerprint(capped);
  ASSERT_FALSE(got.digest);
  EXPECT_NE(got.error.find("filter"), std::string::npos) << got.error;
  EXPECT_NE(got.error.find("above the 64"), std::string::npos) << got.error;
  const XtFingerprints pass = capped.read().tables;
  EXPECT_EQ(moved_fingerprints(pass, pass).size(), pass.size());
}

INSTANTIATE_TEST_SUITE_P(Families, XtFingerprintTest, ::testing::Values(Family::V4, Family::V6),
                         [](const auto& info) { return std::string(family_name(info.param)); });

}  // namespace
}  // namespace aim
