// The nft backend against the real iptables-nft, in a private namespace per test.
#include "rules/nft_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "netns.h"
#include "require.h"
#include "rules/nft_tables.h"
#include "rules/print.h"

namespace aim {
namespace {

using test::run;

using test::tsv;

class NftReaderTest : public ::testing::Test {
 protected:
  // Runs `commands` (they must succeed), then reads ipv4 through iptables-nft.
  static RuleSet read_after_commands(const std::string& commands) {
    EXPECT_EQ(run(commands).status, 0) << commands;
    NftReader reader;
    return reader.read(Family::V4);
  }
  void SetUp() override {
    const std::string why = test::enter_fresh_netns();
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
    if (run("command -v nft >/dev/null").status != 0)
      AIM_REQUIRE_OR_SKIP("nft (package nftables) is not installed: needed to list tables");
  }
};

using test::FixtureCase;

class NftFixtureTest : public NftReaderTest, public ::testing::WithParamInterface<FixtureCase> {};

TEST_P(NftFixtureTest, MatchesIptablesNftSPerChainLineForLine) {
  const FixtureCase& c = GetParam();
  ASSERT_EQ(test::load_nft_fixture(test::fixture_path(c.file), c.family), "");
  NftReader reader;
  RuleSet set = reader.read(c.family);
  ASSERT_TRUE(set.complete()) << set.error;
  const std::string expected = test::expected_nft_tsv_per_chain(c.family);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(tsv(set), expected);
  // Reading through nft created no legacy table.
  EXPECT_EQ(test::legacy_table_names(Family::V4), "");
  EXPECT_EQ(test::legacy_table_names(Family::V6), "");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, NftFixtureTest, ::testing::ValuesIn(test::all_fixtures()),
                         [](const auto& info) { return test::fixture_test_name(info.param); });

TEST_F(NftReaderTest, NoTablesIsCompleteAndCreatesNothing) {
  NftReader reader;
  for (Family family : {Family::V4, Family::V6}) {
    RuleSet set = reader.read(family);
    EXPECT_TRUE(set.complete()) << set.error;
    EXPECT_TRUE(set.tables.empty());
  }
  EXPECT_EQ(run("nft list tables").out, "") << "reading must not create nftables tables";
  EXPECT_EQ(test::legacy_table_names(Family::V4), "");
}

// Reads the ipv4 nft backend after running `nft_commands` on a filter table
// with an iptables-style INPUT chain.
RuleSet read_after(const std::string& nft_commands) {
  EXPECT_EQ(run("nft add table ip filter && nft add chain ip filter INPUT "
                "'{ type filter hook input priority 0; policy accept; }' && " +
                nft_commands)
                .status,
            0);
  NftReader reader;
  return reader.read(Family::V4);
}

TEST_F(NftReaderTest, IncompatibleTableIsAReadError) {
  RuleSet set =
      read_after("nft add rule ip filter INPUT ip saddr 1.2.3.4 ct state new log prefix x drop");
  EXPECT_FALSE(set.complete());
  ASSERT_EQ(set.tables.size(), 1u);
  EXPECT_EQ(set.tables[0].name, "filter");
  EXPECT_NE(set.tables[0].error.find("nft list table ip filter"), std::string::npos);
}

TEST_F(NftReaderTest, TableWithForeignBaseChainIsAReadError) {
  // A base chain iptables does not know filters packets that no iptables
  // listing shows.
  RuleSet set =
      read_after("nft add chain ip filter extra '{ type filter hook input priority 10; }'");
  EXPECT_FALSE(set.complete());
  ASSERT_EQ(set.tables.size(), 1u);
  EXPECT_FALSE(set.tables[0].read_ok());
}

TEST_F(NftReaderTest, MissingProgramIsAClearError) {
  NftReader reader(std::chrono::seconds(10), "aim-no-such-iptables-nft-save", "x",
                   NftReader::Mode::SaveText);
  RuleSet set = reader.read(Family::V4);
  EXPECT_FALSE(set.complete());
  EXPECT_NE(set.error.find("aim-no-such-iptables-nft-save not found"), std::string::npos)
      << set.error;
}

TEST_F(NftReaderTest, FailingProgramIsAReadError) {
  NftReader reader(std::chrono::seconds(10), "false", "false", NftReader::Mode::SaveText);
  RuleSet set = reader.read(Family::V4);
  EXPECT_FALSE(set.complete());
  EXPECT_NE(set.error.find("exited with status 1"), std::string::npos) << set.error;
}

TEST_F(NftReaderTest, CommentWithNewlineStaysOneRule) {
  RuleSet set = read_after_commands(
      "iptables-nft -A INPUT -m comment --comment \"$(printf 'x\\n-A INPUT -j "
      "ACCEPT')\" -j DROP");
  ASSERT_TRUE(set.complete()) << set.error;
  const Table* filter = set.find_table("filter");
  ASSERT_NE(filter, nullptr);
  ASSERT_EQ(filter->chains[0].rules.size(), 1u);
  EXPECT_EQ(filter->chains[0].rules[0],
            "-A INPUT -m comment --comment \"x\n-A INPUT -j ACCEPT\" -j DROP");
}

// Issue 13: an interface name holding "\n*filter" printed a table header
// mid-table, and every earlier rule vanished from the check.
TEST_F(NftReaderTest, InterfaceNameWithNewlineIsOneRuleNotATableHeader) {
  RuleSet set = read_after_commands(
      "iptables-nft -A INPUT -s 1.2.3.4 -j DROP && "
      "iptables-nft -A OUTPUT -o \"$(printf 'a\\n*filter')\" -j ACCEPT && "
      "iptables-nft -t nat -A PREROUTING -j DNAT --to-destination 10.0.0.1");
  ASSERT_TRUE(set.complete()) << set.error;
  EXPECT_EQ(set.rule_count(), 3u);
  const Table* filter = set.find_table("filter");
  ASSERT_NE(filter, nullptr);
  ASSERT_EQ(filter->chains.size(), 3u);
  EXPECT_EQ(filter->chains[0].rules,
            (std::vector<std::string_view>{"-A INPUT -s 1.2.3.4/32 -j DROP"}));
  // Byte for byte what iptables prints for the chain.
  std::string listed(filter->chains[2].header);
  for (std::string_view rule : filter->chains[2].rules) listed += "\n" + std::string(rule);
  EXPECT_EQ(listed + "\n", run("iptables-nft -S OUTPUT").out);
  EXPECT_EQ(filter->chains[2].rules,
            (std::vector<std::string_view>{"-A OUTPUT -o a\n*filter -j ACCEPT"}));
}

// Issue 13: an interface name holding a quote opened a "quoted string" that
// joined the following rules (a DROP, a DNAT) into one allowed rule.
TEST_F(NftReaderTest, QuoteInInterfaceNameJoinsNoRules) {
  RuleSet set = read_after_commands(
      "iptables-nft -N IP-MASQ-AGENT && "
      "iptables-nft -A INPUT -i 'x\"' -j IP-MASQ-AGENT && "
      "iptables-nft -A INPUT -j DROP && "
      "iptables-nft -A INPUT -m comment --comment 'a \"b\"' -j ACCEPT");
  ASSERT_TRUE(set.complete()) << set.error;
  const Table* filter = set.find_table("filter");
  ASSERT_NE(filter, nullptr);
  EXPECT_EQ(set.rule_count(), 3u);
  EXPECT_EQ(tsv(set), test::expected_nft_tsv_per_chain(Family::V4));
}

// A newline in a string the kernel layout does not account for (here a
// recent list name) cannot be attributed in iptables-nft-save's text: the
// family is unreadable, never read as the rules its lines pretend to be.
// Read in-process, the rule is one rule, exactly as iptables-nft prints it.
TEST_F(NftReaderTest, NewlineTheLayoutCannotAttributeIsAReadError) {
  EXPECT_EQ(run("iptables-nft -A INPUT -m recent --name \"$(printf 'a\\n-A INPUT -j ACCEPT')\" "
                "--set -j ACCEPT && iptables-nft -A INPUT -j DROP")
                .status,
            0);
  RuleSet in_process = NftReader().read(Family::V4);
  ASSERT_TRUE(in_process.complete()) << in_process.error;
  EXPECT_EQ(in_process.stats.fallback_tables, 0u);
  EXPECT_EQ(in_process.rule_count(), 2u);
  const Table* filter = in_process.find_table("filter");
  ASSERT_NE(filter, nullptr);
  std::string listed(filter->chains[0].header);
  for (std::string_view rule : filter->chains[0].rules) listed += "\n" + std::string(rule);
  EXPECT_EQ(listed + "\n", run("iptables-nft -S INPUT").out);

  NftReader save_text(std::chrono::seconds(60), "iptables-nft-save", "ip6tables-nft-save",
                      NftReader::Mode::SaveText);
  RuleSet set = save_text.read(Family::V4);
  EXPECT_FALSE(set.complete());
  EXPECT_TRUE(set.tables.empty());
  EXPECT_NE(set.error.find("disagrees with the kernel"), std::string::npos) << set.error;
}

TEST_F(NftReaderTest, GeneratedKubeProxyThousandsOfChains) {
  std::string rules;
  ASSERT_EQ(test::generate_kube_proxy_rules(&rules, 200, Family::V4, 2), "");
  ASSERT_EQ(test::load_nft_text(rules, Family::V4), "");
  NftReader reader;
  RuleSet set = reader.read(Family::V4);
  ASSERT_TRUE(set.complete()) << set.error;
  size_t chains = 0, rules_read = 0;
  for (const Table& table : set.tables) {
    chains += table.chains.size();
    for (const Chain& chain : table.chains) rules_read += chain.rules.size();
  }
  EXPECT_EQ(chains, test::kube_proxy_chain_count(200));
  EXPECT_EQ(rules_read, test::kube_proxy_rule_count(200, 2));
  // What iptables-nft itself lists (per chain would take minutes here).
  EXPECT_EQ(test::whole_table_listing(set),
            test::expected_whole_table_listing(Family::V4, Backend::Nft));
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

TEST_F(NftReaderTest, ForeignTablesAreListedOwnedOnesAreNot) {
  ASSERT_EQ(run("nft add table inet foo && nft add table ip mine && iptables-nft -A INPUT -j "
                "ACCEPT && ip6tables-nft -t nat -N X")
                .status,
            0);
  auto tables = list_nft_tables();
  ASSERT_TRUE(tables.ok()) << tables.error();
  EXPECT_EQ(tables->size(), 4u);
  auto foreign = foreign_tables(*tables);
  std::sort(foreign.begin(), foreign.end());
  EXPECT_EQ(foreign, (std::vector<std::string>{"inet foo", "ip mine"}));
}

}  // namespace
}  // namespace aim
