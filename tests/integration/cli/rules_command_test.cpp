// The installed binary's `rules` command, end to end in a private namespace.
#include <gtest/gtest.h>

#include "netns.h"
#include "require.h"

namespace aim {
namespace {

using test::run;

class RulesCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = test::enter_fresh_netns();
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
  }
  std::string bin() { return test::quote(test::binary_path()); }
};

TEST_F(RulesCommandTest, TsvIsExactlyIptablesSOutput) {
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("sample-node.v4.rules"), Family::V4), "");
  auto r = run(bin() + " rules --backend legacy --format tsv");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, test::expected_tsv_per_chain(Family::V4));
}

TEST_F(RulesCommandTest, GoStyleFlagsAreAccepted) {
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("kube-proxy.v6.rules"), Family::V6), "");
  auto r = run(bin() + " rules -family=6 -format=tsv");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, test::expected_tsv_per_chain(Family::V6));
}

TEST_F(RulesCommandTest, AllFamiliesAreLabelledBlocks) {
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("docker.v4.rules"), Family::V4), "");
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("kube-proxy.v6.rules"), Family::V6), "");
  auto r = run(bin() + " rules --family all");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "# legacy ipv4\n" + test::expected_tsv_per_chain(Family::V4) +
                       "# legacy ipv6\n" + test::expected_tsv_per_chain(Family::V6));
}

TEST_F(RulesCommandTest, SaveFormatRestoresToTheSameRules) {
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("extensions.v4.rules"), Family::V4), "");
  const std::string before = test::expected_tsv_per_chain(Family::V4);
  auto saved = run(bin() + " rules --format save");
  ASSERT_EQ(saved.status, 0);
  // Restore our save text into a second fresh namespace (sets included).
  ASSERT_EQ(test::enter_fresh_netns(), "");
  run("ipset create aim-allow4 hash:ip family inet; ipset create aim-ports4 bitmap:port range 1-1024");
  ASSERT_EQ(test::load_legacy_text(saved.out, Family::V4), "");
  EXPECT_EQ(test::expected_tsv_per_chain(Family::V4), before);
}

TEST_F(RulesCommandTest, MissingCapabilitiesIsAClearErrorNamingTheTable) {
  ASSERT_EQ(test::load_legacy_text("*filter\n:INPUT DROP [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n",
                                   Family::V4),
            "");
  if (run("command -v setpriv >/dev/null").status != 0) AIM_REQUIRE_OR_SKIP("setpriv not installed");
  auto r = run("setpriv --inh-caps=-all --bounding-set=-all " + bin() + " rules --backend legacy 2>&1 >/dev/null; echo \"rc=$?\"");
  EXPECT_NE(r.out.find("table filter"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CAP_NET_ADMIN"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rc=2"), std::string::npos) << r.out;
  auto out = run("setpriv --inh-caps=-all --bounding-set=-all " + bin() + " rules --backend legacy 2>/dev/null");
  EXPECT_EQ(out.out, "") << "nothing of an unread table may be printed";
}

TEST_F(RulesCommandTest, UnrenderableExtensionFailsOnlyItsTable) {
  ASSERT_EQ(test::load_legacy_text("*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -j RETURN\n"
                                   "COMMIT\n*filter\n:INPUT ACCEPT [0:0]\n"
                                   "-A INPUT -m comment --comment x -j ACCEPT\nCOMMIT\n",
                                   Family::V4),
            "");
  // With no extension libraries, libxtables cannot print the comment match.
  auto err = run("XTABLES_LIBDIR=/nonexistent " + bin() + " rules 2>&1 >/dev/null; echo \"rc=$?\"");
  EXPECT_NE(err.out.find("table filter"), std::string::npos) << err.out;
  EXPECT_NE(err.out.find("comment"), std::string::npos) << err.out;
  EXPECT_NE(err.out.find("rc=2"), std::string::npos) << err.out;
  auto out = run("XTABLES_LIBDIR=/nonexistent " + bin() + " rules 2>/dev/null");
  EXPECT_NE(out.out.find("nat\t-A POSTROUTING -j RETURN"), std::string::npos) << out.out;
  EXPECT_EQ(out.out.find("filter\t"), std::string::npos) << out.out;
}

TEST_F(RulesCommandTest, UnknownFlagIsAConfigurationError) {
  auto r = run(bin() + " rules --no-such-flag 2>&1; echo \"rc=$?\"");
  EXPECT_NE(r.out.find("rc=78"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace aim
