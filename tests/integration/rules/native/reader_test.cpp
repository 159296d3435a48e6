// Native nftables tables against the real nft, in a private namespace per
// test: the reader's command lines recreate exactly the ruleset nft shows.
#include "rules/native/reader.h"

#include <gtest/gtest.h>

#include <fstream>

#include "netns.h"
#include "require.h"
#include "rules/child/nft_command.h"
#include "rules/nft/reader.h"
#include "rules/print.h"

namespace aim {
namespace {

using test::run;

class NativeReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = test::enter_fresh_netns_with_nft("to make native tables");
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
  }
  static std::string write_temp(const std::string& text) {
    char path[] = "/tmp/aim-native-XXXXXX";
    const int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    std::ofstream(path) << text;
    return path;
  }
  static std::string save_text(const RuleSet& set) {
    std::ostringstream out;
    print_rulesets(out, {set}, RulesFormat::Save);
    return out.str();
  }
};

// Every family, hooked and plain chains, sets, maps, verdict maps, anonymous
// sets, named counters, quotas, comments with quotes and a newline.
const char* const kEveryFamily = R"(table inet t {
  set bl { type ipv4_addr; flags interval; elements = { 10.0.0.0/8 }; }
  map vm { type inet_service : verdict; }
  counter c1 { }
  quota q1 { over 100 mbytes }
  chain helper { }
  chain in { type filter hook input priority 0; policy accept;
    tcp dport 22 drop
    tcp dport { 80, 443 } accept
    ip saddr @bl drop
    tcp dport vmap @vm
    iifname "eth0" jump helper
    meta mark 0x1 counter accept comment "a 'quoted' comment"
  }
}
table netdev nd {
  chain ing { type filter hook ingress device lo priority 0;
    ip saddr 192.0.2.1 drop
  }
}
table bridge br {
  chain forwarding { type filter hook forward priority 0;
    ether type arp accept
  }
}
table arp ar {
  chain in { type filter hook input priority 0; policy drop;
  }
}
table ip6 six {
  chain out { type filter hook output priority 0;
    ip6 daddr ::1 accept
  }
}
table ip mine {
  chain pre { type nat hook prerouting priority -100;
    tcp dport 8080 dnat to 10.0.0.1:80
  }
}
)";

TEST_F(NativeReaderTest, CommandLinesRecreateExactlyWhatNftShows) {
  ASSERT_EQ(run("nft -f " + write_temp(kEveryFamily)).status, 0);
  ASSERT_EQ(
      run("nft 'add rule inet t helper ip saddr 1.2.3.4 drop comment \"multi\nline\"'").status, 0);
  NativeNftReader reader;
  RuleSet set = read_all({&reader}, {Family::V4, Family::V6}).at(0);
  ASSERT_TRUE(set.complete()) << set.error;
  EXPECT_EQ(set.backend, Backend::Native);
  EXPECT_FALSE(set.family.has_value()) << "native tables have no one address family";
  ASSERT_EQ(set.tables.size(), 6u);
  // One line per rule: as many as nft lists, the multi-line comment kept in
  // its rule.
  const std::string listed = run("nft -s -t list ruleset").out;
  size_t rules = 0;
  for (const Table& t : set.tables)
    for (const Chain& c : t.chains)
      if (!c.name.empty()) rules += c.rules.size();
  const std::string json = run("nft -j list ruleset").out;
  size_t nft_rules = 0;
  for (size_t at = json.find("{\"rule\":"); at != std::string::npos;
       at = json.find("{\"rule\":", at + 1))
    ++nft_rules;
  EXPECT_EQ(rules, nft_rules);
  EXPECT_GE(rules, 11u);
  const Table* inet = nullptr;
  for (const Table& t : set.tables)
    if (t.name == "inet t") inet = &t;
  ASSERT_NE(inet, nullptr);
  bool multi = false;
  for (const Chain& c : inet->chains)
    for (std::string_view r : c.rules)
      multi |= r == "add rule inet t helper ip saddr 1.2.3.4 drop comment \"multi\nline\"";
  EXPECT_TRUE(multi);
  // The lines are nft commands: loaded into an empty namespace they give
  // back exactly the ruleset nft showed (stateless, set elements aside).
  const std::string commands = save_text(set);
  ASSERT_EQ(test::enter_fresh_netns(), "");
  const auto loaded = run("nft -f " + write_temp(commands) + " 2>&1");
  ASSERT_EQ(loaded.status, 0) << loaded.out << commands;
  EXPECT_EQ(run("nft -s -t list ruleset").out, listed);
}

TEST_F(NativeReaderTest, IptablesNftTablesStayWithTheNftBackend) {
  ASSERT_EQ(run("iptables-nft -A INPUT -j ACCEPT && nft add table inet mine").status, 0);
  NativeNftReader reader;
  RuleSet set = reader.read(Family::V4);
  ASSERT_TRUE(set.complete()) << set.error;
  ASSERT_EQ(set.tables.size(), 1u);
  EXPECT_EQ(set.tables[0].name, "inet mine");
}

// A native statement in an iptables-nft table: the nft reader shows the
// table's other rules as iptables text and leaves just that rule to the
// native reader, which shows it (and only it) in nft syntax.
TEST_F(NativeReaderTest, RuleIptablesTextCannotShowIsReadNatively) {
  ASSERT_EQ(run("iptables-nft -A INPUT -j ACCEPT && iptables-nft -t nat -A POSTROUTING -j "
                "MASQUERADE && nft add rule ip filter INPUT meta mark set 1 && iptables-nft -A "
                "INPUT -s 192.0.2.1 -j DROP")
                .status,
            0);
  auto delegated = std::make_shared<DelegatedTables>();
  NftReader nft;
  nft.delegate_incompatible_to(delegated);
  RuleSet iptables = nft.read(Family::V4);
  ASSERT_TRUE(iptables.complete()) << iptables.error;
  ASSERT_EQ(iptables.tables.size(), 2u);
  const Table* filter = iptables.find_table("filter");
  ASSERT_NE(filter, nullptr);
  EXPECT_EQ(
      filter->chains[0].rules,
      (std::vector<std::string_view>{"-A INPUT -j ACCEPT", "-A INPUT -s 192.0.2.1/32 -j DROP"}));
  EXPECT_TRUE(delegated->labels.empty());
  ASSERT_EQ(delegated->rules.size(), 1u);
  EXPECT_EQ(delegated->rules.begin()->first, "ip filter");
  NativeNftReader native(delegated);
  RuleSet set = native.read(Family::V4);
  ASSERT_TRUE(set.complete()) << set.error;
  ASSERT_EQ(set.tables.size(), 1u);
  EXPECT_EQ(set.tables[0].name, "ip filter");
  ASSERT_EQ(set.tables[0].chains.size(), 1u);
  EXPECT_TRUE(set.tables[0].chains[0].header.empty());
  EXPECT_EQ(set.tables[0].chains[0].rules,
            (std::vector<std::string_view>{"add rule ip filter INPUT meta mark set 0x00000001"}));
}

// A native table's rule whose nft text would build another rule (nft
// lists iptables-nft's TRACE, a value loaded into register 9, as `meta
// nftrace set 1`, which nft rebuilds through register 1): the table is
// unknown, not matched on that text (issue 26: only the iptables tables'
// path had a test). The kernel's expressions are copied over by netlink;
// nft itself cannot write them.
TEST_F(NativeReaderTest, NativeTableRuleWhoseTextBuildsAnotherRuleIsUnknown) {
  ASSERT_EQ(run("iptables-nft -t raw -A PREROUTING -j TRACE && nft add table ip t && "
                "nft add chain ip t c")
                .status,
            0);
  const std::string copy = std::string(R"(
import sys
sys.path.insert(0, ")") + AIM_SUPPORT_DIR +
                           R"(")
import nft_netlink as nl
n = nl.Nft()
rule = n.rules(nl.NFPROTO_IPV4, "raw", "PREROUTING")[0]
attrs = [nl.a_str(nl.RULE_TABLE, "t"), nl.a_str(nl.RULE_CHAIN, "c"),
         nl.get(rule, nl.RULE_EXPRESSIONS)]
sys.exit(n.batch([(nl.MSG_NEWRULE, nl.NLM_F_CREATE | nl.NLM_F_APPEND, nl.NFPROTO_IPV4, attrs)])[0])
)";
  ASSERT_EQ(run("python3 -c " + test::quote(copy)).status, 0);
  ASSERT_EQ(run("nft delete table ip raw").status, 0);
  NativeNftReader reader;
  RuleSet set = reader.read(Family::V4);
  EXPECT_FALSE(set.complete());
  const Table* t = set.find_table("ip t");
  ASSERT_NE(t, nullptr) << run("nft list ruleset").out;
  EXPECT_NE(t->error.find("nft's text of a rule is not the whole rule"), std::string::npos)
      << t->error;
}

// A command libnftables refuses, and a child that does not end normally,
// are errors: never an empty (or partial) listing a reader could take for
// "no rules".
TEST_F(NativeReaderTest, FailedNftCommandIsAnErrorNotAnEmptyListing) {
  auto missing =
      run_nft_command(NftCommandMode::List, "list table ip no-such-table\n", ChildStart::Fork);
  ASSERT_FALSE(missing.ok()) << "listed: '" << *missing << "'";
  EXPECT_NE(missing.error().find("No such file or directory"), std::string::npos)
      << missing.error();
  auto bad = run_nft_command(NftCommandMode::DebugCheck, "add rule ip x y tcp dport {\n",
                             ChildStart::Fork);
  ASSERT_FALSE(bad.ok()) << "parsed: '" << *bad << "'";
  EXPECT_NE(bad.error().find("syntax error"), std::string::npos) << bad.error();
}

TEST_F(NativeReaderTest, NoNativeTablesIsCompleteAndEmpty) {
  NativeNftReader reader;
  RuleSet set = reader.read(Family::V4);
  EXPECT_TRUE(set.complete()) << set.error;
  EXPECT_TRUE(set.tables.empty());
}

}  // namespace
}  // namespace aim
