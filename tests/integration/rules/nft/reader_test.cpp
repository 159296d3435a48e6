// The nft backend against the real iptables-nft, in a private namespace per test.
#include "rules/nft/reader.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "churn.h"
#include "netns.h"
#include "require.h"
#include "rules/native/reader.h"
#include "rules/netlink/generation.h"
#include "rules/netlink/layout_reader.h"
#include "rules/netlink/socket.h"
#include "rules/netlink/tables.h"
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
    const std::string why = test::enter_fresh_netns_with_nft("to list tables");
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
  }
};

using test::FixtureCase;

NftReader save_text_reader() {
  return NftReader(std::chrono::seconds(120), "iptables-nft-save", "ip6tables-nft-save",
                   NftReader::Mode::SaveText);
}

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

// The in-process reader against the iptables-nft-save reader: the same
// bytes for every chain, and no table left to iptables-nft-save (every
// fixture is iptables-nft's own output: kube-proxy, Cilium, Docker, AKS,
// ip-masq-agent and the extension-heavy ones).
TEST_P(NftFixtureTest, InProcessReaderAgreesWithSaveTextWithoutFallback) {
  const FixtureCase& c = GetParam();
  ASSERT_EQ(test::load_nft_fixture(test::fixture_path(c.file), c.family), "");
  RuleSet in_process = NftReader().read(c.family);
  ASSERT_TRUE(in_process.complete()) << in_process.error;
  EXPECT_EQ(in_process.stats.native_rules, 0u);
  for (const std::string& note : in_process.stats.notes) ADD_FAILURE() << note;
  RuleSet save_text = save_text_reader().read(c.family);
  ASSERT_TRUE(save_text.complete()) << save_text.error;
  ASSERT_GT(save_text.rule_count(), 0u);
  EXPECT_EQ(tsv(in_process), tsv(save_text));
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

// Pauses between a churn's restores: a read must be able to complete
// between commits, and every rule's translation is proven (nft/expected.h),
// which the sanitizers slow several times over.
// Under the sanitizers a read of 1,500 services takes seconds: the small
// commits then land during every attempt. What these tests prove (one state,
// followed chain by chain) does not depend on the size, so there it is
// smaller.
#ifdef AIM_SANITIZED
constexpr const char* kChurnPause = "0.3";
constexpr const char* kSmallChurnPause = "0.05";
constexpr int kChurnServices = 300;
#else
constexpr const char* kChurnPause = "0.1";
constexpr const char* kSmallChurnPause = "0.05";
constexpr int kChurnServices = 1500;
#endif

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

// A rule no iptables text shows whole is left out of the iptables lines and
// named for the native reader; without one the table is not complete.
TEST_F(NftReaderTest, RuleIptablesTextCannotShowWholeIsNotCompleteWithoutTheNativeReader) {
  RuleSet set =
      read_after("nft add rule ip filter INPUT ip saddr 1.2.3.4 ct state new log prefix x drop");
  EXPECT_FALSE(set.complete());
  ASSERT_EQ(set.tables.size(), 1u);
  EXPECT_EQ(set.tables[0].name, "filter");
  EXPECT_TRUE(set.tables[0].read_ok()) << set.tables[0].error;
  ASSERT_EQ(set.tables[0].native_rules.size(), 1u);
  EXPECT_EQ(set.tables[0].native_rules[0].chain, "INPUT");
  EXPECT_EQ(set.stats.native_rules, 1u);
}

// Kernel rules no iptables command makes, whose data libxtables' save()
// would index its name tables with (out of bounds: the reading child died
// with SIGSEGV and the whole family was unknown): each is refused, the rest
// of its table is still iptables text.
TEST_F(NftReaderTest, HostileCompatTargetOrTcpFlagsAreRefusedNotACrash) {
  const std::string patch = std::string("python3 ") + AIM_SUPPORT_DIR + "/nft_patch_compat.py 4 ";
  RuleSet set = read_after_commands(
      "iptables-nft -A INPUT -s 10.1.2.3 -p tcp -j REJECT --reject-with icmp-port-unreachable && " +
      patch + "filter INPUT target REJECT 2 04 && iptables-nft -N X && " +
      "nft add rule ip filter X meta l4proto tcp tcp flags '&' 0xfe == 0x02 counter");
  ASSERT_EQ(set.tables.size(), 1u);
  const Table& filter = set.tables[0];
  ASSERT_TRUE(filter.read_ok()) << filter.error;
  ASSERT_EQ(filter.native_rules.size(), 2u);
  EXPECT_EQ(filter.native_rules[0].chain, "INPUT");
  EXPECT_NE(filter.native_rules[0].reason.find("REJECT's --reject-with 0x40003"), std::string::npos)
      << filter.native_rules[0].reason;
  EXPECT_EQ(filter.native_rules[1].chain, "X");
  EXPECT_NE(filter.native_rules[1].reason.find("tcp flag bits iptables cannot name"),
            std::string::npos)
      << filter.native_rules[1].reason;
  const Chain* input = nullptr;
  for (const Chain& c : filter.chains)
    if (c.name == "INPUT") input = &c;
  ASSERT_NE(input, nullptr);
  EXPECT_EQ(input->rules,
            std::vector<std::string_view>{"-A INPUT -s 10.1.2.3/32 -p tcp -j REJECT --reject-with "
                                          "icmp-port-unreachable"});
}

// The nft reader and the native reader together, as a check wires them.
std::pair<RuleSet, RuleSet> read_with_native(NftReader reader = NftReader()) {
  auto delegated = std::make_shared<DelegatedTables>();
  reader.delegate_incompatible_to(delegated);
  NativeNftReader native(delegated);
  RuleSet nft = reader.read(Family::V4);
  return {std::move(nft), native.read(Family::V4)};
}

// The lines of the native set's table `label`, chain by chain.
std::vector<std::string> native_lines(const RuleSet& native, const std::string& label) {
  std::vector<std::string> lines;
  if (const Table* t = native.find_table(label))
    for (const Chain& c : t->chains)
      for (std::string_view r : c.rules) lines.emplace_back(r);
  return lines;
}

// The issue's rules: iptables-nft-save prints each as an allowlisted
// iptables line (-j KUBE-FIREWALL, the wireserver drop, the DHCP accept);
// the kernel drops all input, half the address space, rewrites addresses.
// Each is shown in nft syntax instead, beside the rules iptables text
// shows whole.
TEST_F(NftReaderTest, LossyRulesAreShownInNftSyntaxAndTheRestAsIptablesText) {
  ASSERT_EQ(run("iptables-nft -N KUBE-FIREWALL && iptables-nft -A INPUT -j ACCEPT && "
                "iptables-nft -P FORWARD ACCEPT && "
                "nft add rule ip filter INPUT ip saddr vmap '{ 0.0.0.0/0 : drop }' "
                "jump KUBE-FIREWALL && "
                "nft add rule ip filter FORWARD ip daddr 0.0.0.0-168.63.129.16 tcp dport 80 drop "
                "&& nft add rule ip filter INPUT udp dport 68 ip daddr set 10.9.9.9 accept")
                .status,
            0);
  auto [nft, native] = read_with_native();
  ASSERT_TRUE(nft.complete()) << nft.error;
  ASSERT_TRUE(native.complete()) << native.error;
  EXPECT_EQ(nft.stats.native_rules, 3u);
  const Table* filter = nft.find_table("filter");
  ASSERT_NE(filter, nullptr);
  std::vector<std::string> iptables_lines;
  for (const Chain& c : filter->chains)
    for (std::string_view r : c.rules) iptables_lines.emplace_back(r);
  EXPECT_EQ(iptables_lines, std::vector<std::string>{"-A INPUT -j ACCEPT"});
  const std::vector<std::string> lines = native_lines(native, "ip filter");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[0].starts_with("add rule ip filter INPUT ip saddr vmap")) << lines[0];
  EXPECT_NE(lines[1].find("ip daddr set 10.9.9.9"), std::string::npos) << lines[1];
  EXPECT_TRUE(lines[2].starts_with("add rule ip filter FORWARD ip daddr 0.0.0.0-168.63.129.16"))
      << lines[2];
}

// iptables-nft's TRACE (a value in register 9, then meta nftrace set):
// nft's text of it builds the value in register 1, another rule, so its
// table is not decided.
TEST_F(NftReaderTest, NativeTextThatRebuildsAnotherRuleIsUnknown) {
  ASSERT_EQ(run("iptables-nft -t raw -A PREROUTING -p tcp --dport 22 -j TRACE").status, 0);
  auto [nft, native] = read_with_native();
  ASSERT_TRUE(nft.complete()) << nft.error;
  EXPECT_FALSE(native.complete());
  const Table* raw = native.find_table("ip raw");
  ASSERT_NE(raw, nullptr);
  EXPECT_NE(raw->error.find("nft's text of a rule is not the whole rule"), std::string::npos)
      << raw->error;
  EXPECT_NE(raw->error.find("immediate reg 9"), std::string::npos) << raw->error;
}

// libxt_comment's save() writes a NUL into the comment's last byte before
// printing it: checked against that written-over copy, a comment whose last
// byte is not NUL passed as "--comment hello". The check compares with the
// kernel's untouched bytes.
TEST_F(NftReaderTest, ExtensionTextIsCheckedAgainstTheKernelsBytesNotWhatSaveWroteOver) {
  const std::string patch = std::string("python3 ") + AIM_SUPPORT_DIR + "/nft_patch_compat.py 4 ";
  ASSERT_EQ(run("iptables-nft -A INPUT -m comment --comment hello -j ACCEPT && " + patch +
                "filter INPUT match comment 255 40")
                .status,
            0);
  RuleSet set = NftReader().read(Family::V4);
  EXPECT_EQ(set.stats.native_rules, 1u);
  EXPECT_EQ(set.rule_count(), 1u);
  const Table* filter = set.find_table("filter");
  ASSERT_NE(filter, nullptr);
  ASSERT_EQ(filter->native_rules.size(), 1u);
  EXPECT_NE(filter->native_rules[0].reason.find("byte 255"), std::string::npos)
      << filter->native_rules[0].reason;
}

// libnftables itself crashes listing a REJECT code past its table: it runs
// in a child, so the crash makes the table unknown and the reader lives on.
TEST_F(NftReaderTest, NftCrashingOnARuleMakesItsTableUnknownNotTheReaderCrash) {
  const std::string patch = std::string("python3 ") + AIM_SUPPORT_DIR + "/nft_patch_compat.py 4 ";
  ASSERT_EQ(run("iptables-nft -A INPUT -p tcp -j REJECT --reject-with icmp-port-unreachable && " +
                patch + "filter INPUT target REJECT 2 04")
                .status,
            0);
  auto [nft, native] = read_with_native();
  ASSERT_TRUE(nft.complete()) << nft.error;
  EXPECT_EQ(nft.stats.native_rules, 1u);
  EXPECT_FALSE(native.complete());
  const Table* filter = native.find_table("ip filter");
  ASSERT_NE(filter, nullptr);
  // nft's crash depends on memory layout (under the sanitizers this rule's
  // compat target is what refuses it first): either way the table is unknown
  // and the reader lived to say so.
  EXPECT_TRUE(filter->error.find("killed by signal") != std::string::npos ||
              filter->error.find("holds an iptables (xt) match or target") != std::string::npos)
      << filter->error;
}

// A rule that needs nft syntax but holds a compat (xt) expression, which nft
// prints lossily (a comment match as nothing): its table is not decided.
TEST_F(NftReaderTest, NativeRuleWithACompatExpressionIsUnknown) {
  ASSERT_EQ(run("iptables-nft -t raw -A PREROUTING -m comment --comment hi -j TRACE && "
                "iptables-nft -A INPUT -j ACCEPT")
                .status,
            0);
  auto [nft, native] = read_with_native();
  ASSERT_TRUE(nft.complete()) << nft.error;
  EXPECT_FALSE(native.complete());
  const Table* raw = native.find_table("ip raw");
  ASSERT_NE(raw, nullptr);
  EXPECT_NE(raw->error.find("holds an iptables (xt) match or target"), std::string::npos)
      << raw->error;
  EXPECT_TRUE(raw->chains.empty());
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
// mid-table, and every earlier rule vanished from the check. Now iptables
// text cannot carry such a name at all (it would split it): the rule is left
// to the native reader, and the rules around it stay iptables text.
TEST_F(NftReaderTest, InterfaceNameWithNewlineIsOneRuleNotATableHeader) {
  RuleSet set = read_after_commands(
      "iptables-nft -A INPUT -s 1.2.3.4 -j DROP && "
      "iptables-nft -A OUTPUT -o \"$(printf 'a\\n*filter')\" -j ACCEPT && "
      "iptables-nft -t nat -A PREROUTING -j DNAT --to-destination 10.0.0.1");
  EXPECT_EQ(set.rule_count(), 2u);
  EXPECT_EQ(set.stats.native_rules, 1u);
  const Table* filter = set.find_table("filter");
  ASSERT_NE(filter, nullptr);
  ASSERT_TRUE(filter->read_ok()) << filter->error;
  EXPECT_EQ(filter->chains[0].rules,
            (std::vector<std::string_view>{"-A INPUT -s 1.2.3.4/32 -j DROP"}));
  ASSERT_EQ(filter->native_rules.size(), 1u);
  EXPECT_EQ(filter->native_rules[0].chain, "OUTPUT");
  EXPECT_NE(filter->native_rules[0].reason.find("an interface name iptables text cannot carry"),
            std::string::npos)
      << filter->native_rules[0].reason;
}

// Issue 13: an interface name holding a quote opened a "quoted string" that
// joined the following rules (a DROP, a DNAT) into one allowed rule. Now
// such a name is never iptables text: that rule is left to the native
// reader, and the DROP after it stays a rule of its own.
TEST_F(NftReaderTest, QuoteInInterfaceNameJoinsNoRules) {
  RuleSet set = read_after_commands(
      "iptables-nft -N IP-MASQ-AGENT && "
      "iptables-nft -A INPUT -i 'x\"' -j IP-MASQ-AGENT && "
      "iptables-nft -A INPUT -j DROP && "
      "iptables-nft -A INPUT -m comment --comment 'a \"b\"' -j ACCEPT");
  const Table* filter = set.find_table("filter");
  ASSERT_NE(filter, nullptr);
  ASSERT_TRUE(filter->read_ok()) << filter->error;
  EXPECT_EQ(set.rule_count(), 2u);
  EXPECT_EQ(filter->native_rules.size(), 1u);
  EXPECT_EQ(filter->chains[0].rules,
            (std::vector<std::string_view>{
                "-A INPUT -j DROP", "-A INPUT -m comment --comment \"a \\\"b\\\"\" -j ACCEPT"}));
}

// A newline in a string the kernel layout does not account for (here a
// recent list name) cannot be attributed in iptables-nft-save's text: the
// family is unreadable, never read as the rules its lines pretend to be.
// Read in-process, the rule is refused too: iptables-restore would split its
// printed text at the newline, so the text does not rebuild the compat match
// (xt_roundtrip.h); it is left to the native reader.
TEST_F(NftReaderTest, NewlineTheLayoutCannotAttributeIsAReadError) {
  EXPECT_EQ(run("iptables-nft -A INPUT -m recent --name \"$(printf 'a\\n-A INPUT -j ACCEPT')\" "
                "--set -j ACCEPT && iptables-nft -A INPUT -j DROP")
                .status,
            0);
  RuleSet in_process = NftReader().read(Family::V4);
  // The rule with the newline is left to the native reader (nft syntax);
  // the other is iptables text.
  EXPECT_FALSE(in_process.complete());
  EXPECT_EQ(in_process.stats.native_rules, 1u);
  EXPECT_EQ(in_process.rule_count(), 1u);

  RuleSet set = save_text_reader().read(Family::V4);
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
  EXPECT_EQ(set.stats.native_rules, 0u);
  EXPECT_EQ(tsv(set), tsv(save_text_reader().read(Family::V4)));
}

// The patterns iptables-nft writes that the fixtures and the random grammar
// rarely reach (interface wildcards and "! -i +", port ranges that become <=,
// combined ports, tcp flags, compat tcp/udp, NFLOG's native log, limit, mark,
// -f), each through the in-process reader exactly as iptables-nft -S prints
// it, with nothing left to the native reader.
struct EdgeCase {
  Family family;
  std::vector<std::string> commands;
};

class NftEdgeRulesTest : public NftReaderTest, public ::testing::WithParamInterface<EdgeCase> {};

TEST_P(NftEdgeRulesTest, InProcessMatchesIptablesNftS) {
  const EdgeCase& c = GetParam();
  const std::string bin = c.family == Family::V6 ? "ip6tables-nft " : "iptables-nft ";
  for (const std::string& command : c.commands) {
    const std::string line = command.starts_with("nft ") ? command : bin + command;
    ASSERT_EQ(run(line).status, 0) << line;
  }
  RuleSet set = NftReader().read(c.family);
  ASSERT_TRUE(set.complete()) << set.error;
  EXPECT_EQ(set.rule_count(), c.commands.size() - 1);  // one command makes a chain
  EXPECT_EQ(set.stats.native_rules, 0u);
  for (const std::string& note : set.stats.notes) ADD_FAILURE() << note;
  EXPECT_EQ(tsv(set), test::expected_nft_tsv_per_chain(c.family));
}

INSTANTIATE_TEST_SUITE_P(
    Patterns, NftEdgeRulesTest,
    ::testing::Values(
        EdgeCase{
            Family::V4,
            {
                "-N USER",
                "-A INPUT ! -i + -j ACCEPT",
                "-A FORWARD -o eth0+ ! -i veth -j USER",
                "-A INPUT -p tcp --sport 1:100 -j ACCEPT",
                "-A INPUT -p tcp ! --sport 1:100 -j ACCEPT",
                "-A INPUT -p tcp --dport 0:100 -j ACCEPT",
                "-A INPUT -p tcp --sport 80 --dport 443 -j ACCEPT",
                "-A INPUT -p tcp ! --sport 80 ! --dport 443 -j ACCEPT",
                "-A INPUT -p tcp --sport 80 ! --dport 443 -j ACCEPT",
                "-A INPUT -p tcp --tcp-flags SYN,ACK SYN -j DROP",
                "-A INPUT -p tcp --syn -j DROP",
                "-A INPUT -p tcp ! --syn --dport 22 -j DROP",
                "-A INPUT -p tcp -m tcp --tcp-option 2 -j DROP",
                "-A INPUT -p tcp -m tcp -j DROP",
                "-A INPUT -p udp -m udp -j DROP",
                "-A INPUT -p udp --dport 0:1000 -j DROP",
                "-A INPUT -j NFLOG --nflog-prefix \"abc def\" --nflog-group 3 --nflog-size 100 "
                "--nflog-threshold 5",
                "-A INPUT -j NFLOG --nflog-prefix \"$(printf 'x%.0s' $(seq 100))\"",
                "-A INPUT -m mark --mark 0x1 -j ACCEPT",
                "-A INPUT -m mark ! --mark 0x1/0xff -j ACCEPT",
                "-A INPUT -m limit --limit 5/min -j ACCEPT",
                "-A INPUT -m limit --limit 7/hour --limit-burst 1 -j ACCEPT",
                "-A INPUT -f -j DROP",
                "-A INPUT ! -f -j DROP",
                "-A INPUT -p 47 -j DROP",
                "-A INPUT ! -p udp -j DROP",
                "-A INPUT -s 10.1.0.0/16 -d 10.2.3.4/31 -j DROP",
                "-A INPUT -m comment --comment \"a b\" -m comment --comment c -j DROP",
                "-A INPUT -p tcp -j REJECT --reject-with tcp-reset",
                "-t nat -A POSTROUTING -o eth0 -p tcp -j MASQUERADE --to-ports 1000-2000",
                "-t nat -A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.0.1:8080",
                "-t mangle -A PREROUTING -j MARK --set-xmark 0x4000/0x4000",
                "-t raw -A PREROUTING -j CT --notrack",
            }},
        EdgeCase{
            Family::V6,
            {
                "-N USER",
                "-A INPUT ! -i + -j ACCEPT",
                "-A FORWARD -o eth0+ ! -i veth -j USER",
                "-A INPUT -s 2001:db8::/32 ! -d fe80::1/128 -p tcp --dport 22 -j ACCEPT",
                "-A INPUT -s 2001:db8::/ffff:ffff:0:ffff:: -j DROP",
                "-A INPUT -p tcp ! --sport 1:100 --tcp-flags ALL NONE -j DROP",
                "-A INPUT -p udp --sport 53 --dport 53 -j ACCEPT",
                "-A INPUT -p ipv6-icmp --icmpv6-type 128 -j ACCEPT",
                "-A INPUT -m mark --mark 0x10/0x10 -m limit --limit 3/sec -j NFLOG --nflog-group 2",
                "-A INPUT -p tcp -j REJECT --reject-with tcp-reset",
                "-t nat -A POSTROUTING -s fd00::/8 -j MASQUERADE",
                "-t nat -A PREROUTING -p tcp --dport 80 -j DNAT --to-destination [fd00::1]:8080",
                "-t mangle -A PREROUTING -m conntrack --ctstate NEW -j CONNMARK --set-mark 1",
            }}),
    [](const auto& info) { return std::string(family_name(info.param.family)); });

// Rules whose iptables-nft -S text would build another rule (iptables-nft
// 1.8.9's own listing is not exact for them): each is left to the native
// reader, never shown as that text.
TEST_F(NftReaderTest, RulesIptablesNftListsInexactlyAreLeftToTheNativeReader) {
  for (const std::string& command : {
           // A load compared with nothing, listed as nothing.
           std::string("iptables-nft -A INPUT -i + -j ACCEPT"),
           // > 100, listed as 101:65535, which builds a range.
           std::string("iptables-nft -A INPUT -p tcp ! --sport 0:100 -j ACCEPT"),
           // Two udp matches, listed as one.
           std::string("iptables-nft -A INPUT -p udp --dport 53 -m udp --sport 53 -j DROP"),
           // A comment in user data, listed as a comment match.
           std::string("iptables-nft -A INPUT -j ACCEPT && nft add rule ip filter INPUT ip saddr "
                       "1.2.3.4 counter accept comment '\"hello world\"'"),
       }) {
    SCOPED_TRACE(command);
    ASSERT_EQ(test::enter_fresh_netns(), "");
    ASSERT_EQ(run(command).status, 0);
    RuleSet set = NftReader().read(Family::V4);
    EXPECT_EQ(set.stats.native_rules, 1u);
    const Table* filter = set.find_table("filter");
    ASSERT_NE(filter, nullptr);
    ASSERT_EQ(filter->native_rules.size(), 1u);
    EXPECT_NE(filter->native_rules[0].reason.find("its text would not rebuild it"),
              std::string::npos)
        << filter->native_rules[0].reason;
  }
}

// "-j DROP" in nat is text iptables refuses to restore ("not intended for
// filtering"), so a DROP put there with nft is shown natively.
TEST_F(NftReaderTest, DropInTheNatTableIsLeftToTheNativeReader) {
  ASSERT_EQ(run("iptables-nft -t nat -A POSTROUTING -j MASQUERADE && "
                "nft add rule ip nat POSTROUTING counter drop")
                .status,
            0);
  RuleSet set = NftReader().read(Family::V4);
  const Table* nat = set.find_table("nat");
  ASSERT_NE(nat, nullptr);
  ASSERT_EQ(nat->native_rules.size(), 1u);
  EXPECT_NE(nat->native_rules[0].reason.find("a DROP in the nat table"), std::string::npos)
      << nat->native_rules[0].reason;
  EXPECT_EQ(set.rule_count(), 1u);
}

TEST_F(NftReaderTest, InProcessReadsDuringChurnAreOneWholeSnapshotOrRetried) {
  // Two rulesets restored in a loop while we read: every complete read is
  // exactly one of them (the generation was the same before and after), and
  // a read that kept seeing commits says so instead of mixing them.
  std::string a, b;
  ASSERT_EQ(test::generate_kube_proxy_rules(&a, 60), "");
  ASSERT_EQ(test::generate_kube_proxy_rules(&b, 90), "");
  ASSERT_EQ(test::load_nft_text(a, Family::V4), "");
  NftReader reader;
  const std::string listing_a = test::whole_table_listing(reader.read(Family::V4));
  ASSERT_EQ(test::load_nft_text(b, Family::V4), "");
  const std::string listing_b = test::whole_table_listing(reader.read(Family::V4));
  ASSERT_NE(listing_a, listing_b);

  // A commit every ~0.1 s: reads still overlap commits, yet a read that is
  // slow (ASan, a busy machine) can fit between two (back-to-back restores
  // left none complete under ASan on a loaded machine).
  test::RestoreChurn churn("iptables-nft-restore", a, b, kChurnPause);
  ASSERT_EQ(churn.error(), "");
  auto churning = [&] { return churn.running(); };
  auto started = [&] { return churn.started(); };
  int overlapped = 0, reads = 0, retried_out = 0, other_errors = 0, mixed = 0, fallback = 0;
  while (overlapped < 20 && reads < 400 && churning()) {
    const bool during = started();
    RuleSet set = reader.read(Family::V4);
    const bool still = churning();
    ++reads;
    fallback += static_cast<int>(set.stats.native_rules);
    if (!set.complete()) {
      if (set.error.find("changed during each of") != std::string::npos)
        ++retried_out;
      else if (++other_errors <= 3)
        ADD_FAILURE() << "read " << reads << " failed: " << set.error;
      continue;
    }
    const std::string listing = test::whole_table_listing(set);
    if (listing != listing_a && listing != listing_b && ++mixed <= 3)
      ADD_FAILURE() << "read " << reads << " was neither ruleset (a mix of both?)";
    if (during && still) ++overlapped;
  }
  EXPECT_TRUE(churn.stop()) << "the churn's restores failed";
  EXPECT_EQ(other_errors, 0);
  EXPECT_EQ(mixed, 0);
  EXPECT_EQ(fallback, 0);
  EXPECT_GE(overlapped, 5) << "too few complete reads ran while the rules churned (" << reads
                           << " reads, " << retried_out << " gave up after retries)";
  std::printf("nft churn: %d reads, %d complete during the churn, %d gave up after retries\n",
              reads, overlapped, retried_out);
}

// kube-proxy-like churn (small --noflush commits, 20 a second, against a
// big table): a read is one full read plus re-reads of the chains the
// commits' notifications name, so reads complete instead of retrying the
// whole table until they give up, and each is exactly one of the two states.
TEST_F(NftReaderTest, InProcessReadsCompleteUnderSmallCommitsAndAreOneState) {
  std::string base;
  ASSERT_EQ(test::generate_kube_proxy_rules(&base, kChurnServices), "");
  ASSERT_EQ(test::load_nft_text(base, Family::V4), "");
  const std::string rule =
      "KUBE-SERVICES -d 10.255.0.1/32 -p tcp -m comment --comment \"churn/test\" -m tcp "
      "--dport 80 -j KUBE-SVC-CHURNTEST\n";
  const std::string add =
      "*nat\n:KUBE-SVC-CHURNTEST - [0:0]\n-A " + rule + "-A KUBE-SVC-CHURNTEST -j RETURN\nCOMMIT\n";
  const std::string remove =
      "*nat\n-D " + rule + "-F KUBE-SVC-CHURNTEST\n-X KUBE-SVC-CHURNTEST\nCOMMIT\n";
  NftReader reader;
  const std::string without = test::whole_table_listing(reader.read(Family::V4));
  {
    const std::string path = "/tmp/aim-nft-churn-add." + std::to_string(getpid());
    std::ofstream(path) << add;
    auto added = run("iptables-nft-restore --noflush < " + path);
    std::remove(path.c_str());
    ASSERT_EQ(added.status, 0);
  }
  const std::string with = test::whole_table_listing(reader.read(Family::V4));
  ASSERT_NE(without, with);
  ASSERT_NE(with.find("KUBE-SVC-CHURNTEST"), std::string::npos);
  // `with` is loaded: the loop removes, then adds, ...
  test::RestoreChurn churn("iptables-nft-restore --noflush", remove, add, kSmallChurnPause);
  ASSERT_EQ(churn.error(), "");
  int reads = 0, complete = 0, mixed = 0, errors = 0, repaired = 0;
  while (reads < 15 && churn.running()) {
    RuleSet set = reader.read(Family::V4);
    ++reads;
    if (!set.complete()) {
      if (++errors <= 3) ADD_FAILURE() << "read " << reads << " failed: " << set.error;
      continue;
    }
    ++complete;
    repaired += set.stats.repaired_chains > 0;
    const std::string listing = test::whole_table_listing(set);
    if (listing != without && listing != with && ++mixed <= 3)
      ADD_FAILURE() << "read " << reads << " was neither state";
  }
  EXPECT_TRUE(churn.stop()) << "the churn's restores failed";
  // Up to 15 reads while the churn runs; a slow machine (the sanitizers)
  // gets fewer in, and a handful already proves the point.
  EXPECT_GE(reads, 5) << "the churn ended early";
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(mixed, 0);
  // Commits landed during the reads, and were followed chain by chain.
  EXPECT_GE(repaired, 3) << complete << " complete reads";
  std::printf("small-commit churn: %d reads, %d complete, %d repaired chain by chain\n", reads,
              complete, repaired);
}

// The barrier the reads accept a generation with: true at the current
// generation (and it commits nothing: the generation stays), false at an
// older one.
TEST_F(NftReaderTest, GenerationBarrierTellsAMovedGenerationAndChangesNothing) {
  ASSERT_EQ(run("iptables-nft -A INPUT -j ACCEPT").status, 0);
  auto netlink = NftNetlink::open();
  ASSERT_TRUE(netlink) << netlink.error();
  auto before = generation(*netlink);
  ASSERT_TRUE(before) << before.error();
  auto settled = netlink->generation_settled(*before);
  ASSERT_TRUE(settled) << settled.error();
  EXPECT_TRUE(*settled);
  EXPECT_EQ(*generation(*netlink), *before) << "the empty transaction committed something";
  ASSERT_EQ(run("iptables-nft -A INPUT -j DROP").status, 0);
  settled = netlink->generation_settled(*before);
  ASSERT_TRUE(settled) << settled.error();
  EXPECT_FALSE(*settled) << "the generation moved";
  settled = netlink->generation_settled(*generation(*netlink));
  ASSERT_TRUE(settled) << settled.error();
  EXPECT_TRUE(*settled);
}

// The pids of this process's kept nft helpers (children running nft-serve).
std::vector<pid_t> helper_pids() {
  std::vector<pid_t> pids;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t parent = 0;
    rest >> state >> parent;
    if (parent != getpid()) continue;
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string args((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    if (args.find(std::string("nft-serve\0", 10)) != std::string::npos)
      pids.push_back(std::stoi(name));
  }
  return pids;
}

// The service's reader keeps one helper per family, which keeps its
// snapshot between reads: each read must still equal a fresh read, whatever
// changed between (rules, chains, a new table, the helper killed), and read
// again only what changed.
TEST_F(NftReaderTest, KeptHelperReadsEqualFreshReadsAndRereadOnlyWhatChanged) {
  std::string base;
  ASSERT_EQ(test::generate_kube_proxy_rules(&base, 300), "");
  ASSERT_EQ(test::load_nft_text(base, Family::V4), "");
  NftReader kept;
  kept.keep_helpers_between_reads();
  auto same_as_fresh = [&](const std::string& step) -> RuleSet {
    RuleSet got = kept.read(Family::V4);
    NftReader fresh;
    RuleSet want = fresh.read(Family::V4);
    EXPECT_TRUE(got.complete()) << step << ": " << got.error;
    EXPECT_TRUE(want.complete()) << step << ": " << want.error;
    EXPECT_EQ(test::whole_table_listing(got), test::whole_table_listing(want)) << step;
    EXPECT_EQ(got.stats.native_rules, 0u) << step;
    return got;
  };
  same_as_fresh("first read");
  ASSERT_EQ(helper_pids().size(), 1u) << "one helper for ipv4";
  EXPECT_EQ(same_as_fresh("nothing changed").stats.repaired_chains, 0u);

  ASSERT_EQ(run("iptables-nft -A INPUT -s 10.9.9.9/32 -j DROP").status, 0);
  RuleSet after_rule = same_as_fresh("a rule added");
  EXPECT_GE(after_rule.stats.repaired_chains, 1u);
  EXPECT_LE(after_rule.stats.repaired_chains, 3u) << "only the changed chain is read again";

  ASSERT_EQ(run("iptables-nft -N USER-CHAIN && iptables-nft -A USER-CHAIN -p tcp --dport 22 "
                "-j ACCEPT && iptables-nft -A FORWARD -j USER-CHAIN && "
                "iptables-nft -t nat -F $(iptables-nft -t nat -S | "
                "awk '/^-N KUBE-SVC-/ { print $2; exit }') && "
                "iptables-nft -D INPUT -s 10.9.9.9/32 -j DROP")
                .status,
            0);
  same_as_fresh("chains added, flushed, rules deleted");
  // Told under the new name only, while FORWARD's jump changes untold.
  ASSERT_EQ(run("iptables-nft -E USER-CHAIN USER-RENAMED").status, 0);
  same_as_fresh("a chain renamed");
  ASSERT_EQ(run("iptables-nft -F USER-RENAMED && iptables-nft -D FORWARD -j USER-RENAMED && "
                "iptables-nft -X USER-RENAMED && iptables-nft -P FORWARD DROP")
                .status,
            0);
  same_as_fresh("a chain deleted, a policy changed");
  ASSERT_EQ(run("iptables-nft -t mangle -A PREROUTING -j MARK --set-mark 1").status, 0);
  RuleSet with_mangle = same_as_fresh("a table appeared");
  EXPECT_NE(with_mangle.find_table("mangle"), nullptr);

  // A helper that dies is started again at the next read.
  const std::vector<pid_t> before = helper_pids();
  ASSERT_EQ(before.size(), 1u);
  kill(before[0], SIGKILL);
  // Gone (a zombie: its socket closed, which comes after its memory and
  // cmdline go), not just signalled: a request sent while it still dies is
  // answered by iptables-nft-save, as it should be.
  auto state_of = [](pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    return close == std::string::npos || close + 2 >= line.size() ? 'Z' : line[close + 2];
  };
  for (int i = 0; i < 500 && state_of(before[0]) != 'Z'; ++i) usleep(10 * 1000);
  ASSERT_EQ(state_of(before[0]), 'Z') << "the killed helper did not end";
  ASSERT_EQ(run("iptables-nft -A OUTPUT -d 10.8.8.8/32 -j REJECT").status, 0);
  same_as_fresh("after the helper was killed");
  const std::vector<pid_t> after = helper_pids();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_NE(after[0], before[0]);
}

// Everything of a set a check could see: every table (its name, error,
// whether it is left to nft syntax), every chain (name, header) and rule,
// and every rule left to the native reader.
std::string exact_text(const RuleSet& set) {
  std::string out = "error: " + set.error + "\n";
  for (const Table& t : set.tables) {
    out +=
        "table " + t.name + (t.incompatible ? " incompatible" : "") + " error: " + t.error + "\n";
    for (const Chain& c : t.chains) {
      out += " chain " + std::string(c.name) + " | " + std::string(c.header) + "\n";
      for (std::string_view r : c.rules) out += "  " + std::string(r) + "\n";
    }
    for (const NativeRuleRequest& r : t.native_rules)
      out += " native " + r.chain + " " + std::to_string(r.handle) + " " + r.reason + "\n";
  }
  return out;
}

// The kept helper answers only the chains that changed since the set the
// reader kept, which splices them in: after every kind of change iptables-nft
// (and nft, into iptables' tables) makes, the spliced set equals a fresh full
// read exactly, table by table, chain by chain, rule by rule; after a helper
// restart and after forget_kept the read is whole again, and then deltas
// resume.
TEST_F(NftReaderTest, DeltaReadsEqualAFullReadAfterEveryChange) {
  std::string base;
  ASSERT_EQ(test::generate_kube_proxy_rules(&base, 200), "");
  ASSERT_EQ(test::load_nft_text(base, Family::V4), "");
  ASSERT_EQ(run("iptables-nft -A INPUT -s 10.1.1.1/32 -j ACCEPT").status, 0);
  NftReader kept;
  kept.keep_helpers_between_reads();
  int deltas = 0;
  // `delta`: whether this read must have been a delta answer; `complete`:
  // whether the state is one iptables text shows whole (without a native
  // reader, what it leaves to nft syntax is not).
  auto check_step = [&](const std::string& step, bool delta, bool complete = true) {
    RuleSet got = kept.read(Family::V4);
    RuleSet want = NftReader().read(Family::V4);
    EXPECT_EQ(got.complete(), complete) << step << ": " << got.error;
    EXPECT_EQ(want.complete(), complete) << step << ": " << want.error;
    EXPECT_FALSE(want.stats.from_changes) << step;
    EXPECT_EQ(got.stats.from_changes, delta) << step;
    deltas += got.stats.from_changes;
    const std::string got_text = exact_text(got), want_text = exact_text(want);
    EXPECT_EQ(got_text, want_text) << step;
    if (got_text != want_text) {
      // The first differing line, so a failure says where.
      std::istringstream a(got_text), b(want_text);
      std::string la, lb;
      while (std::getline(a, la) && std::getline(b, lb))
        if (la != lb) {
          ADD_FAILURE() << step << ": first difference: got '" << la << "' want '" << lb << "'";
          break;
        }
    }
    return got;
  };
  auto must = [](const std::string& commands) { ASSERT_EQ(run(commands).status, 0) << commands; };
  check_step("first read", false);
  RuleSet quiet = check_step("nothing changed", true);
  EXPECT_EQ(quiet.stats.changed_chains, 0u);

  must("iptables-nft -A INPUT -s 10.9.9.9/32 -j DROP");
  RuleSet one = check_step("a rule appended", true);
  EXPECT_EQ(one.stats.changed_chains, 1u) << "only INPUT is sent";
  must(
      "iptables-nft -I INPUT 1 -p tcp --dport 22 -j ACCEPT && "
      "iptables-nft -D INPUT -s 10.1.1.1/32 -j ACCEPT");
  check_step("a rule inserted, one deleted", true);
  must(
      "iptables-nft -N AAA-FIRST && iptables-nft -A AAA-FIRST -j RETURN && "
      "iptables-nft -N ZZZ-LAST && iptables-nft -A FORWARD -j ZZZ-LAST && "
      "iptables-nft -t nat -N KUBE-SVC-MIDDLE && "
      "iptables-nft -t nat -A KUBE-SVC-MIDDLE -j KUBE-MARK-MASQ");
  check_step("chains added first, last and among kube-proxy's", true);
  const std::string svc =
      run("iptables-nft -t nat -S | awk '/^-N KUBE-SVC-/ { print $2; exit }'").out;
  ASSERT_FALSE(svc.empty());
  const std::string svc_name = svc.substr(0, svc.find('\n'));
  must("iptables-nft -t nat -F " + svc_name +
       " && iptables-nft -D FORWARD -j ZZZ-LAST && "
       "iptables-nft -X ZZZ-LAST && iptables-nft -F AAA-FIRST && iptables-nft -X AAA-FIRST");
  check_step("chains flushed and deleted", true);
  must("iptables-nft -P FORWARD DROP && iptables-nft -Z");
  check_step("a policy changed, counters zeroed", true);
  // A big chain (KUBE-SERVICES: 200 rules) read again after one rule changed
  // prints only that rule afresh (nft/render.h's ChainTextCache). A rule
  // replaced in place keeps its handle: only the rule's bytes tell that its
  // port, then its comment, changed (a port of the same width: the same
  // length of bytes).
  must(
      "iptables-nft -t nat -I KUBE-SERVICES 3 -d 10.96.9.9/32 -p tcp --dport 80 -j KUBE-MARK-MASQ");
  check_step("a big chain: a rule inserted", true);
  must(
      "iptables-nft -t nat -R KUBE-SERVICES 3 -d 10.96.9.9/32 -p tcp --dport 81 -j KUBE-MARK-MASQ");
  check_step("a big chain: a rule replaced", true);
  must(
      "iptables-nft -t nat -R KUBE-SERVICES 3 -d 10.96.9.9/32 -p tcp --dport 81 "
      "-m comment --comment first -j KUBE-MARK-MASQ");
  check_step("a big chain: a comment added", true);
  must(
      "iptables-nft -t nat -R KUBE-SERVICES 3 -d 10.96.9.9/32 -p tcp --dport 81 "
      "-m comment --comment second -j KUBE-MARK-MASQ");
  check_step("a big chain: only the comment changed", true);
  must("iptables-nft -t nat -D KUBE-SERVICES 3 && iptables-nft -t nat -D KUBE-SERVICES 5");
  check_step("a big chain: two rules deleted", true);

  // Rules iptables text cannot show whole, put by nft: left to the native
  // reader, then gone again.
  must("nft add rule ip nat KUBE-SERVICES udp dport 68 ip daddr set 10.9.9.9 accept");
  RuleSet natively = check_step("a rule put by nft into an iptables table", true, false);
  EXPECT_EQ(natively.stats.native_rules, 1u);
  // An anonymous set came: the helper cannot follow that chain by chain.
  must("nft add rule ip filter INPUT ip saddr vmap '{ 10.0.0.0/8 : accept }'");
  check_step("a rule with a set put by nft", false, false);
  must("iptables-nft -t nat -F KUBE-SERVICES");
  check_step("iptables-nft flushed nft's rule", true, false);
  must("nft flush chain ip filter INPUT && iptables-nft -A INPUT -j ACCEPT");
  check_step("nft flushed a chain (its set went)", false);
  // A base chain iptables does not have: the table is left to nft syntax.
  must("nft add chain ip filter weird '{ type filter hook input priority 10; }'");
  RuleSet weird = check_step("a table iptables text cannot show", true, false);
  ASSERT_NE(weird.find_table("filter"), nullptr);
  EXPECT_TRUE(weird.find_table("filter")->incompatible);
  must("nft delete chain ip filter weird");
  check_step("the table shown again", true);
  // A new table: the helper reads everything again, and so does the reader.
  must("iptables-nft -t mangle -A PREROUTING -j MARK --set-mark 1");
  RuleSet with_mangle = check_step("a table appeared", false);
  EXPECT_NE(with_mangle.find_table("mangle"), nullptr);
  must("iptables-nft -t mangle -A OUTPUT -j MARK --set-mark 2");
  check_step("a rule in the new table", true);

  // forget_kept: the next answer is whole, the one after a delta again.
  kept.forget_kept();
  must("iptables-nft -A OUTPUT -d 10.8.8.8/32 -j REJECT");
  check_step("after forget_kept", false);
  must("iptables-nft -D OUTPUT -d 10.8.8.8/32 -j REJECT");
  check_step("a delta after forget_kept", true);

  // A new helper never answers a delta against what the old one sent.
  const std::vector<pid_t> before = helper_pids();
  ASSERT_EQ(before.size(), 1u);
  kill(before[0], SIGKILL);
  for (int i = 0; i < 500; ++i) {
    std::ifstream stat("/proc/" + std::to_string(before[0]) + "/stat");
    std::string line;
    std::getline(stat, line);
    if (line.empty() || line.find(") Z") != std::string::npos) break;
    usleep(10 * 1000);
  }
  must("iptables-nft -A OUTPUT -d 10.7.7.7/32 -j REJECT");
  check_step("after the helper was killed", false);
  check_step("the new helper's first delta", true);
  must("iptables-nft -t nat -F KUBE-SVC-MIDDLE && iptables-nft -t nat -X KUBE-SVC-MIDDLE");
  check_step("the new helper: a chain deleted", true);
  EXPECT_GE(deltas, 14);

  // Each spliced set keeps its base's text alive: a full answer comes
  // within NftReader::kMaxDeltas deltas, so that chain stays bounded.
  size_t until_full = 0;
  for (size_t i = 1; i <= NftReader::kMaxDeltas + 1 && until_full == 0; ++i)
    if (!kept.read(Family::V4).stats.from_changes) until_full = i;
  EXPECT_GT(until_full, 0u);
  check_step("a delta after the bound's full answer", true);
}

// The kept helper follows a big chain's rule changes from the commits'
// notifications (nft/render.h: apply_rule_changes): each new rule put where
// the kernel says, each deleted one taken out, or the chain read again when
// a notification leaves the place unclear. Commits of one to four inserts,
// appends, replaces and deletes at random places (a fixed seed: a failure
// repeats), each followed by a read equal to a fresh helper's.
TEST_F(NftReaderTest, KeptHelperFollowsABigChainsRuleChangesExactly) {
  std::string restore = "*filter\n:BIG - [0:0]\n-A INPUT -j BIG\n";
  size_t length = 0;
  for (; length < 100; ++length)
    restore += "-A BIG -s 10.0." + std::to_string(length) + ".1/32 -j ACCEPT\n";
  restore += "COMMIT\n";
  ASSERT_EQ(test::load_nft_text(restore, Family::V4), "");
  NftReader kept;
  kept.keep_helpers_between_reads();
  auto step = [&](const std::string& what) {
    RuleSet got = kept.read(Family::V4);
    RuleSet want = NftReader().read(Family::V4);
    EXPECT_TRUE(got.complete()) << what << ": " << got.error;
    const std::string got_text = exact_text(got), want_text = exact_text(want);
    EXPECT_EQ(got_text, want_text) << what;
    return got_text == want_text;
  };
  step("first read");
  std::mt19937 random(20261208);
  auto pick = [&](size_t n) { return static_cast<size_t>(random() % n); };
  int serial = 0;
  for (int commit = 0; commit < 30; ++commit) {
    std::string batch = "*filter\n", what;
    // Replaces and deletes first, and a replace alone among them:
    // iptables-nft-restore 1.8.9 crashes on a rule number that names a rule
    // added or replaced earlier in the same batch.
    std::vector<size_t> kinds(1 + pick(4));
    for (size_t& kind : kinds) kind = length < 50 ? pick(3) : pick(4);  // delete while long
    std::stable_sort(kinds.begin(), kinds.end(),
                     [](size_t a, size_t b) { return a >= 2 && b < 2; });
    if (kinds[0] == 2)
      for (size_t k = 1; k < kinds.size(); ++k)
        if (kinds[k] >= 2) kinds[k] = 1;
    for (const size_t kind : kinds) {
      ++serial;
      const std::string rule = "-s 10.1." + std::to_string(serial % 250) + ".1/32 -p tcp --dport " +
                               std::to_string(1000 + serial) + " -j ACCEPT";
      if (kind == 0) {
        const size_t at = 1 + pick(length + 1);
        batch += "-I BIG " + std::to_string(at) + " " + rule + "\n";
        what += " insert@" + std::to_string(at);
        ++length;
      } else if (kind == 1) {
        batch += "-A BIG " + rule + "\n";
        what += " append";
        ++length;
      } else if (kind == 2) {
        const size_t at = 1 + pick(length);
        batch += "-R BIG " + std::to_string(at) + " " + rule + "\n";
        what += " replace@" + std::to_string(at);
      } else {
        const size_t at = 1 + pick(length);
        batch += "-D BIG " + std::to_string(at) + "\n";
        what += " delete@" + std::to_string(at);
        --length;
      }
    }
    batch += "COMMIT\n";
    const auto applied =
        run("printf '%s' " + test::quote(batch) + " | iptables-nft-restore --noflush");
    ASSERT_EQ(applied.status, 0) << batch;
    if (!step("commit " + std::to_string(commit) + ":" + what)) break;
  }
}

// Under small commits 20 times a second, the kept helper's reads are each
// one of the two states, and complete.
// A kept helper that stops answering (here: stopped) is killed within
// seconds of its bound (tied to its slowest answer), and a fresh child reads
// instead: the read neither waits the reader's whole timeout nor fails.
TEST_F(NftReaderTest, KeptHelperThatStopsAnsweringIsReplacedWithinSeconds) {
  ASSERT_EQ(run("iptables-nft -A INPUT -j ACCEPT").status, 0);
  NftReader kept(std::chrono::seconds(120));
  kept.keep_helpers_between_reads();
  ASSERT_TRUE(kept.read(Family::V4).complete());
  const std::vector<pid_t> helpers = helper_pids();
  ASSERT_EQ(helpers.size(), 1u);
  ASSERT_EQ(kill(helpers[0], SIGSTOP), 0);
  ASSERT_EQ(run("iptables-nft -A INPUT -s 10.1.2.3 -j DROP").status, 0);
  const auto started = std::chrono::steady_clock::now();
  RuleSet set = kept.read(Family::V4);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(set.complete()) << set.error;
  EXPECT_EQ(set.rule_count(), 2u);
  // Bounded by the helper's grace (3 s) and one fresh read, far from 120 s.
  EXPECT_LT(seconds, 30.0);
  bool said = false;
  for (const std::string& note : set.stats.notes)
    said |= note.find("fresh child") != std::string::npos;
  EXPECT_TRUE(said);
  std::printf("a stopped helper was replaced in %.2f s\n", seconds);
  // The next read starts a new helper.
  ASSERT_TRUE(kept.read(Family::V4).complete());
}

TEST_F(NftReaderTest, KeptHelperReadsUnderSmallCommitsAreOneState) {
  std::string base;
  ASSERT_EQ(test::generate_kube_proxy_rules(&base, kChurnServices), "");
  ASSERT_EQ(test::load_nft_text(base, Family::V4), "");
  NftReader fresh, kept;
  kept.keep_helpers_between_reads();
  const std::string without = test::whole_table_listing(fresh.read(Family::V4));
  ASSERT_EQ(run("iptables-nft -t nat -N CHURN && iptables-nft -t nat -A CHURN -j RETURN && "
                "iptables-nft -t nat -A KUBE-SERVICES -d 10.255.0.1/32 -j CHURN")
                .status,
            0);
  const std::string with = test::whole_table_listing(fresh.read(Family::V4));
  test::RestoreChurn churn("iptables-nft-restore --noflush",
                           "*nat\n-D KUBE-SERVICES -d 10.255.0.1/32 -j CHURN\n-F CHURN\n-X CHURN\n"
                           "COMMIT\n",
                           "*nat\n:CHURN - [0:0]\n-A CHURN -j RETURN\n-A KUBE-SERVICES -d "
                           "10.255.0.1/32 -j CHURN\nCOMMIT\n",
                           kSmallChurnPause);
  ASSERT_EQ(churn.error(), "");
  int reads = 0, errors = 0, mixed = 0, without_seen = 0, with_seen = 0;
  while (reads < 40 && churn.running()) {  // the churn's 200 rounds last ~30 s
    RuleSet set = kept.read(Family::V4);
    ++reads;
    if (!set.complete()) {
      if (++errors <= 3) ADD_FAILURE() << "read " << reads << " failed: " << set.error;
      continue;
    }
    const std::string listing = test::whole_table_listing(set);
    without_seen += listing == without;
    with_seen += listing == with;
    if (listing != without && listing != with && ++mixed <= 3)
      ADD_FAILURE() << "read " << reads << " was neither state";
    usleep(20 * 1000);
  }
  EXPECT_TRUE(churn.stop()) << "the churn's restores failed";
  EXPECT_GE(reads, 10) << "the churn ended early";
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(mixed, 0);
  // Both states were seen: the kept snapshot followed the commits.
  EXPECT_GT(without_seen, 0);
  EXPECT_GT(with_seen, 0);
  std::printf("kept helper under churn: %d reads, %d of one state, %d of the other\n", reads,
              without_seen, with_seen);
}

// What the translator does not know (here nft's notrack statement) is
// shown in nft syntax, says why, and changes no other line;
// iptables-nft-save is not needed (it is not run).
TEST_F(NftReaderTest, UntranslatedRuleIsShownNativelyAndSaysWhy) {
  ASSERT_EQ(run("iptables-nft -t raw -A PREROUTING -j ACCEPT && "
                "nft add rule ip raw PREROUTING tcp dport 22 notrack && "
                "iptables-nft -A INPUT -s 10.0.0.0/8 -j ACCEPT")
                .status,
            0);
  auto [nft, native] =
      read_with_native(NftReader(std::chrono::seconds(60), "aim-no-such-iptables-nft-save", "x"));
  ASSERT_TRUE(nft.complete()) << nft.error;
  ASSERT_TRUE(native.complete()) << native.error;
  EXPECT_EQ(nft.stats.native_rules, 1u);
  ASSERT_EQ(nft.stats.notes.size(), 1u);
  EXPECT_NE(nft.stats.notes[0].find("table raw chain PREROUTING shown in nft syntax"),
            std::string::npos)
      << nft.stats.notes[0];
  EXPECT_NE(nft.stats.notes[0].find("the expression 'notrack'"), std::string::npos)
      << nft.stats.notes[0];
  const std::vector<std::string> lines = native_lines(native, "ip raw");
  EXPECT_EQ(lines, std::vector<std::string>{"add rule ip raw PREROUTING tcp dport 22 notrack"});
  const Table* raw = nft.find_table("raw");
  ASSERT_NE(raw, nullptr);
  ASSERT_EQ(raw->chains.size(), 2u);
  EXPECT_EQ(raw->chains[0].rules, std::vector<std::string_view>{"-A PREROUTING -j ACCEPT"});
}

// "-j NAME" is a target when libxtables knows one by that name: a jump to a
// chain named so (nft makes one; iptables refuses the name) has no iptables
// text and is shown natively. Targets found by each way the shim answers
// without asking libxtables to load: an extension file with the generic
// prefix (MASQUERADE, a symlink), with the family's (REJECT: libipt_), a
// target registered by an extension already loaded (DNAT, after the nat
// rule loaded libxt_NAT), a standard verdict's name; a plain name is a jump.
TEST_F(NftReaderTest, JumpToAChainNamedLikeATargetIsShownNatively) {
  std::string script =
      "iptables-nft -t nat -A PREROUTING -p tcp -j DNAT --to-destination 10.0.0.1 && "
      "iptables-nft -A INPUT -j ACCEPT";
  for (const char* name : {"MASQUERADE", "REJECT", "DNAT", "KUBE-PLAIN"})
    script += std::string(" && nft add chain ip filter ") + name +
              " && nft add rule ip filter INPUT counter jump " + name;
  ASSERT_EQ(run(script).status, 0);
  RuleSet set = NftReader().read(Family::V4);
  const Table* filter = set.find_table("filter");
  ASSERT_NE(filter, nullptr);
  std::vector<std::string> refused;
  for (const NativeRuleRequest& r : filter->native_rules) refused.push_back(r.reason);
  ASSERT_EQ(refused.size(), 3u) << ::testing::PrintToString(refused);
  EXPECT_NE(refused[0].find("a jump to a chain named like the target MASQUERADE"),
            std::string::npos)
      << refused[0];
  EXPECT_NE(refused[1].find("named like the target REJECT"), std::string::npos) << refused[1];
  EXPECT_NE(refused[2].find("named like the target DNAT"), std::string::npos) << refused[2];
  bool plain_jump = false;
  for (const auto& chain : filter->chains)
    for (std::string_view rule : chain.rules) plain_jump |= rule == "-A INPUT -j KUBE-PLAIN";
  EXPECT_TRUE(plain_jump);
}

// A table with a chain iptables cannot name (here: longer than its 28
// characters; nft takes up to 256, spaces and quotes too) goes to the native reader
// whole; the other tables are still iptables text.
TEST_F(NftReaderTest, TableWithAChainNameIptablesCannotCarryIsShownNatively) {
  ASSERT_EQ(run("iptables-nft -t nat -A POSTROUTING -o eth0 -j MASQUERADE && "
                "iptables-nft -A INPUT -j ACCEPT && "
                "nft add chain ip filter A-CHAIN-NAME-LONGER-THAN-IPTABLES-TAKES")
                .status,
            0);
  auto [nft, native] = read_with_native();
  ASSERT_TRUE(nft.complete()) << nft.error;
  EXPECT_EQ(nft.stats.native_tables, 1u);
  EXPECT_NE(nft.find_table("nat"), nullptr);
  EXPECT_EQ(nft.find_table("filter"), nullptr);
  const Table* filter = native.find_table("ip filter");
  ASSERT_NE(filter, nullptr);
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
