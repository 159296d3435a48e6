// Differential tests: our legacy reader against the real iptables-legacy, in
// a private network namespace per test.
#include "rules/legacy/reader.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "churn.h"
#include "netns.h"
#include "require.h"
#include "rules/print.h"

namespace aim {
namespace {

using test::run;

using test::tsv;

class LegacyReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = test::enter_fresh_netns();
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
  }
};

using test::FixtureCase;

class LegacyFixtureTest : public LegacyReaderTest,
                          public ::testing::WithParamInterface<FixtureCase> {};

TEST_P(LegacyFixtureTest, MatchesIptablesSPerChainLineForLine) {
  const FixtureCase& c = GetParam();
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path(c.file), c.family), "");
  const std::string names_before = test::legacy_table_names(c.family);

  LegacyReader reader;
  RuleSet set = reader.read(c.family);
  ASSERT_TRUE(set.complete()) << set.error;
  // Reading created no table.
  EXPECT_EQ(test::legacy_table_names(c.family), names_before);

  const std::string expected = test::expected_tsv_per_chain(c.family);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(tsv(set), expected);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LegacyFixtureTest, ::testing::ValuesIn(test::all_fixtures()),
                         [](const auto& info) { return test::fixture_test_name(info.param); });

}  // namespace
void PrintTo(Family f, std::ostream* os) { *os << family_name(f); }
namespace {

class GeneratedKubeProxyTest : public LegacyReaderTest,
                               public ::testing::WithParamInterface<Family> {};

TEST_P(GeneratedKubeProxyTest, ThousandsOfChainsMatchWholeTableListing) {
  const Family family = GetParam();
  std::string rules;
  ASSERT_EQ(test::generate_kube_proxy_rules(&rules, 400, family, 3), "");
  ASSERT_EQ(test::load_legacy_text(rules, family), "");

  LegacyReader reader;
  RuleSet set = reader.read(family);
  ASSERT_TRUE(set.complete()) << set.error;
  const Table* nat = set.find_table("nat");
  ASSERT_NE(nat, nullptr);
  EXPECT_GT(nat->chains.size(), 1600u);
  EXPECT_EQ(test::whole_table_listing(set), test::expected_whole_table_listing(family));
}

INSTANTIATE_TEST_SUITE_P(Families, GeneratedKubeProxyTest,
                         ::testing::Values(Family::V4, Family::V6),
                         [](const auto& info) { return info.param == Family::V4 ? "v4" : "v6"; });

TEST_F(LegacyReaderTest, NoLegacyTablesIsCompleteAndCreatesNone) {
  for (Family family : {Family::V4, Family::V6}) {
    ASSERT_EQ(test::legacy_table_names(family), "");
    LegacyReader reader;
    RuleSet set = reader.read(family);
    EXPECT_TRUE(set.complete());
    EXPECT_TRUE(set.tables.empty());
    EXPECT_EQ(test::legacy_table_names(family), "") << "reading must not create tables";
  }
}

TEST_F(LegacyReaderTest, AskedForNoFamilyIsAnErrorNotAnEmptySet) {
  ASSERT_EQ(test::load_legacy_text("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j DROP\nCOMMIT\n",
                                   Family::V4),
            "");
  LegacyReader reader;
  RuleSet set = reader.read(std::nullopt);
  EXPECT_FALSE(set.complete());
  EXPECT_NE(set.error.find("one address family at a time"), std::string::npos) << set.error;
}

TEST_F(LegacyReaderTest, OnlyLoadedTablesAreOpened) {
  ASSERT_EQ(test::load_legacy_text("*nat\n:POSTROUTING ACCEPT [0:0]\n"
                                   "-A POSTROUTING -j MASQUERADE\nCOMMIT\n",
                                   Family::V4),
            "");
  ASSERT_EQ(test::legacy_table_names(Family::V4), "nat\n");
  LegacyReader reader;
  RuleSet set = reader.read(Family::V4);
  ASSERT_TRUE(set.complete());
  ASSERT_EQ(set.tables.size(), 1u);
  EXPECT_EQ(set.tables[0].name, "nat");
  EXPECT_EQ(test::legacy_table_names(Family::V4), "nat\n");
}

TEST_F(LegacyReaderTest, CommentWithNewlineStaysOneRule) {
  auto r = run("iptables-legacy -A INPUT -m comment --comment \"$(printf 'a\\nb')\" -j ACCEPT");
  ASSERT_EQ(r.status, 0);
  LegacyReader reader;
  RuleSet set = reader.read(Family::V4);
  ASSERT_TRUE(set.complete());
  const Table* filter = set.find_table("filter");
  ASSERT_NE(filter, nullptr);
  ASSERT_EQ(filter->chains[0].rules.size(), 1u);
  EXPECT_EQ(filter->chains[0].rules[0], "-A INPUT -m comment --comment \"a\nb\" -j ACCEPT");
}

TEST_F(LegacyReaderTest, BothFamiliesReadInOneProcess) {
  // libxtables keeps per-family state: each family renders in its own child,
  // so IPv6-only forms still render after IPv4 was read in this process.
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("extensions.v4.rules"), Family::V4), "");
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("extensions.v6.rules"), Family::V6), "");
  LegacyReader reader;
  RuleSet v4 = reader.read(Family::V4);
  RuleSet v6 = reader.read(Family::V6);
  RuleSet v4_again = reader.read(Family::V4);
  ASSERT_TRUE(v4.complete() && v6.complete() && v4_again.complete());
  EXPECT_EQ(tsv(v4), test::expected_tsv_per_chain(Family::V4));
  EXPECT_EQ(tsv(v6), test::expected_tsv_per_chain(Family::V6));
  EXPECT_EQ(tsv(v4_again), tsv(v4));
}

// Rules whose kernel data says more than their iptables text: installed
// with the raw x_tables writer, they must make their table unknown rather
// than be matched as the text.
std::string patch_legacy(Family family, const std::string& table, const std::string& chain,
                         int rule, const std::string& what, int offset, const std::string& hex) {
  const std::string command = std::string("python3 ") + AIM_SUPPORT_DIR + "/xt_blob.py patch " +
                              (family == Family::V6 ? "6 " : "4 ") + table + " " + chain + " " +
                              std::to_string(rule) + " " + what + " " + std::to_string(offset) +
                              " " + hex;
  const auto r = run(command);
  return r.status == 0 ? "" : "'" + command + "' failed";
}

bool any_rule_contains(const RuleSet& set, const std::string& needle) {
  for (const Table& table : set.tables)
    for (const Chain& chain : table.chains)
      for (const auto& rule : chain.rules)
        if (rule.find(needle) != std::string::npos) return true;
  return false;
}

TEST_F(LegacyReaderTest, CtZoneWithOnlyTheNotrackAliasFlagIsNotReadAsNotrack) {
  // CT revision 2 printed by libxtables as "-j NOTRACK" (flags hold only
  // XT_CT_NOTRACK_ALIAS) while the kernel tracks the packets in zone 7: the
  // shipped localdns raw pattern would match the text.
  ASSERT_EQ(
      test::load_legacy_text("*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                             "-A PREROUTING -d 169.254.10.10/32 -p udp -m comment --comment "
                             "\"localdns: skip conntrack\" -m udp --dport 53 -j CT --zone 7\n"
                             "-A OUTPUT -d 169.254.10.10/32 -p udp -m comment --comment "
                             "\"localdns: skip conntrack\" -m udp --dport 53 -j NOTRACK\nCOMMIT\n",
                             Family::V4),
      "");
  // struct xt_ct_target_info_v1 starts with its u16 flags: XT_CT_NOTRACK_ALIAS.
  ASSERT_EQ(patch_legacy(Family::V4, "raw", "PREROUTING", 1, "target", 0, "0200"), "");
  ASSERT_NE(run("iptables-legacy-save -t raw").out.find("--dport 53 -j NOTRACK\n-A OUTPUT"),
            std::string::npos)
      << "iptables itself prints the crafted rule as NOTRACK";

  LegacyReader reader;
  RuleSet set = reader.read(Family::V4);
  const Table* raw = set.find_table("raw");
  ASSERT_NE(raw, nullptr);
  EXPECT_FALSE(raw->read_ok());
  EXPECT_FALSE(set.complete());
  EXPECT_NE(raw->error.find("rule 1 of chain PREROUTING"), std::string::npos) << raw->error;
  EXPECT_NE(raw->error.find("'CT'"), std::string::npos) << raw->error;
  EXPECT_FALSE(raw->read_ok() && any_rule_contains(set, "-A PREROUTING")) << tsv(set);
}

// Values the kernel accepts but libxtables 1.8.9 prints by indexing a name
// table past its end (garbage, or a crash): refused before save() runs, so
// the table is unknown, never some text.
TEST_F(LegacyReaderTest, ValuesLibxtablesCannotNameMakeTheTableUnknown) {
  struct Case {
    std::string rule, what;
    int offset;
    std::string hex, reason;
  };
  for (const Case& c : {
           // struct ipt_reject_info: its u32 `with` (little-endian), 99.
           Case{"-A INPUT -p tcp -j REJECT --reject-with tcp-reset", "target", 0, "63000000",
                "REJECT's --reject-with 0x63"},
           // struct xt_tcp: flg_mask at byte 9, a bit above the six named.
           Case{"-A INPUT -p tcp -m tcp --tcp-flags SYN SYN -j DROP", "match:0", 9, "42",
                "the tcp flag bits"},
       }) {
    SCOPED_TRACE(c.rule);
    ASSERT_EQ(test::enter_fresh_netns(), "");
    ASSERT_EQ(test::load_legacy_text("*filter\n:INPUT ACCEPT [0:0]\n" + c.rule + "\nCOMMIT\n",
                                     Family::V4),
              "");
    ASSERT_EQ(patch_legacy(Family::V4, "filter", "INPUT", 1, c.what, c.offset, c.hex), "");
    RuleSet set = LegacyReader().read(Family::V4);
    const Table* filter = set.find_table("filter");
    ASSERT_NE(filter, nullptr);
    EXPECT_FALSE(filter->read_ok()) << tsv(set);
    EXPECT_FALSE(set.complete());
    EXPECT_NE(filter->error.find(c.reason), std::string::npos) << filter->error;
  }
}

TEST_F(LegacyReaderTest, RealNotrackStillReads) {
  ASSERT_EQ(test::load_legacy_text("*raw\n:PREROUTING ACCEPT [0:0]\n"
                                   "-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK\n"
                                   "-A PREROUTING -p udp -m udp --dport 54 -j CT --zone 7\n"
                                   "COMMIT\n",
                                   Family::V4),
            "");
  LegacyReader reader;
  RuleSet set = reader.read(Family::V4);
  ASSERT_TRUE(set.complete()) << set.error;
  EXPECT_EQ(tsv(set), test::expected_tsv_per_chain(Family::V4));
}

TEST_F(LegacyReaderTest, InterfaceMaskThatPrintsNothingMakesTheTableUnknown) {
  for (Family family : {Family::V4, Family::V6}) {
    ASSERT_EQ(test::load_legacy_text("*filter\n:INPUT ACCEPT [0:0]\n"
                                     "-A INPUT -i eth0 -j ACCEPT\nCOMMIT\n",
                                     family),
              "");
    // iniface_mask[0] = 0 while later bytes stay 0xff: today's text prints
    // no -i at all (the rule reads "-A INPUT -j ACCEPT").
    const int iniface_mask = family == Family::V6 ? 96 : 48;
    ASSERT_EQ(patch_legacy(family, "filter", "INPUT", 1, "head", iniface_mask, "00"), "");
    LegacyReader reader;
    RuleSet set = reader.read(family);
    const Table* filter = set.find_table("filter");
    ASSERT_NE(filter, nullptr);
    EXPECT_FALSE(filter->read_ok()) << tsv(set);
    EXPECT_NE(filter->error.find("rule 1 of chain INPUT"), std::string::npos) << filter->error;
    EXPECT_NE(filter->error.find("interface"), std::string::npos) << filter->error;

    // The wildcard's mask one byte longer than "eth1" (covering the '+').
    ASSERT_EQ(test::load_legacy_text("*filter\n:FORWARD ACCEPT [0:0]\n"
                                     "-A FORWARD -o eth1+ -j DROP\nCOMMIT\n",
                                     family),
              "");
    const int outiface_mask = family == Family::V6 ? 112 : 64;
    ASSERT_EQ(patch_legacy(family, "filter", "FORWARD", 1, "head", outiface_mask + 4, "ff"), "");
    set = reader.read(family);
    filter = set.find_table("filter");
    ASSERT_NE(filter, nullptr);
    EXPECT_FALSE(filter->read_ok()) << tsv(set);
  }
}

TEST_F(LegacyReaderTest, AddressBitsOutsideTheMaskMakeTheTableUnknown) {
  ASSERT_EQ(test::load_legacy_text("*filter\n:INPUT ACCEPT [0:0]\n"
                                   "-A INPUT -s 10.0.0.0/8 -j DROP\nCOMMIT\n",
                                   Family::V4),
            "");
  // src = 10.0.0.1 under a /8 mask: no packet can match, the text says
  // "10.0.0.1/8", which iptables would build as 10.0.0.0/8.
  ASSERT_EQ(patch_legacy(Family::V4, "filter", "INPUT", 1, "head", 3, "01"), "");
  LegacyReader reader;
  RuleSet set = reader.read(Family::V4);
  const Table* filter = set.find_table("filter");
  ASSERT_NE(filter, nullptr);
  EXPECT_FALSE(filter->read_ok()) << tsv(set);
  EXPECT_NE(filter->error.find("address"), std::string::npos) << filter->error;
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

TEST_F(LegacyReaderTest, ReadsDuringChurnAreAlwaysOneWholeSnapshot) {
  // kube-proxy rewrites tables constantly. Two rulesets are restored in a
  // loop while we read; every read must be complete and equal to one of them,
  // and enough reads must have run while the restores did to show it.
  std::string a, b;
  ASSERT_EQ(test::generate_kube_proxy_rules(&a, 60), "");
  ASSERT_EQ(test::generate_kube_proxy_rules(&b, 90), "");
  ASSERT_EQ(test::load_legacy_text(a, Family::V4), "");
  LegacyReader reader;
  const std::string listing_a = test::whole_table_listing(reader.read(Family::V4));
  ASSERT_EQ(test::load_legacy_text(b, Family::V4), "");
  const std::string listing_b = test::whole_table_listing(reader.read(Family::V4));
  ASSERT_NE(listing_a, listing_b);

  test::RestoreChurn churn("iptables-legacy-restore", a, b);
  ASSERT_EQ(churn.error(), "");
  auto churning = [&] { return churn.running(); };
  auto started = [&] { return churn.started(); };

  // Reads until 25 of them ran entirely while the churn did (or it ended).
  int overlapped = 0, reads = 0, incomplete = 0, mixed = 0, saw_a = 0, saw_b = 0;
  while (overlapped < 25 && churning()) {
    const bool during = started();
    RuleSet set = reader.read(Family::V4);
    // Still churning after the read: the whole read overlapped restores.
    const bool still = churning();
    ++reads;
    if (!set.complete()) {
      if (++incomplete <= 3) ADD_FAILURE() << "read " << reads << " incomplete: " << set.error;
      continue;
    }
    const std::string listing = test::whole_table_listing(set);
    if (listing == listing_a)
      ++saw_a;
    else if (listing == listing_b)
      ++saw_b;
    else if (++mixed <= 3)
      ADD_FAILURE() << "read " << reads << " was neither ruleset (a mix of both?)";
    if (during && still) ++overlapped;
  }
  EXPECT_TRUE(churn.stop()) << "the churn's restores failed";
  EXPECT_EQ(incomplete, 0);
  EXPECT_EQ(mixed, 0);
  EXPECT_GE(overlapped, 5) << "too few reads ran while the rules churned (" << reads << " reads, "
                           << overlapped << " during the churn)";
  std::printf("churn: %d reads, %d during the churn (%d of one ruleset, %d of the other)\n", reads,
              overlapped, saw_a, saw_b);
}

}  // namespace
}  // namespace aim
