// The packaged allowlists (etc/azure-iptables-monitor) mean what they say
// (issue 25): they allow the rules kubelet, Cilium, ip-masq-agent and AKS
// write, as those write them, and no rule for text it merely carries in a
// comment, a log prefix or a longer chain name. Checked with the real
// Allowlist and check() on the files as shipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "allowlist/allowlist.h"
#include "allowlist/lint.h"
#include "check/check.h"
#include "netns.h"

namespace aim {
namespace {

std::string shipped_dir(Family family) {
  return std::string(AIM_ETC_DIR) + "/azure-iptables-monitor/" +
         (family == Family::V4 ? "ipv4" : "ipv6");
}

// A RuleSet holding exactly what `iptables -S` lists for iptables-save text:
// ":CHAIN POLICY" headers become "-P CHAIN POLICY" (built-in) or "-N CHAIN",
// "-A" lines stay as they are, in their chains.
RuleSet set_from_save_text(const std::string& text, Family family) {
  RuleSet set;
  set.family = family;
  std::istringstream in(text);
  std::string line;
  Table* table = nullptr;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line == "COMMIT") continue;
    if (line[0] == '*') {
      set.tables.push_back(Table{line.substr(1), {}, {}});
      table = &set.tables.back();
    } else if (line[0] == ':') {
      std::istringstream words(line.substr(1));
      std::string name, policy;
      words >> name >> policy;
      const std::string header = policy == "-" ? "-N " + name : "-P " + name + " " + policy;
      table->chains.push_back(Chain{set.arena->add(name), set.arena->add(header), {}});
    } else if (line.rfind("-A ", 0) == 0) {
      const std::string chain = line.substr(3, line.find(' ', 3) - 3);
      bool added = false;
      for (Chain& c : table->chains)
        if (c.name == chain) {
          c.rules.push_back(set.arena->add(line));
          added = true;
        }
      EXPECT_TRUE(added) << "no header for the chain of " << line;
    }
  }
  return set;
}

RuleSet set_from_fixture(const std::string& name, Family family) {
  std::ifstream in(test::fixture_path(name));
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return set_from_save_text(text.str(), family);
}

std::vector<std::string> unexpected_rules(const RuleSet& set, const Allowlist& list) {
  const Report report = check({{&set, &list}});
  std::vector<std::string> out;
  for (const UnexpectedRule& u : report.unexpected) out.push_back(u.rule);
  return out;
}

// One rule in `table`, under the built-in chain headers a table lists first.
RuleSet one_rule(const std::string& table, const std::string& rule, Family family) {
  const std::string chain = rule.substr(3, rule.find(' ', 3) - 3);
  const bool builtin = chain == "INPUT" || chain == "FORWARD" || chain == "OUTPUT" ||
                       chain == "PREROUTING" || chain == "POSTROUTING";
  return set_from_save_text(
      "*" + table + "\n:" + chain + (builtin ? " ACCEPT" : " -") + " [0:0]\n" + rule + "\nCOMMIT\n",
      family);
}

struct FixtureVerdict {
  const char* file;
  Family family;
  // Rules the shipped files leave unexpected: none on the nodes they are for;
  // kube-proxy's, docker's and the hand-added rule elsewhere (as many as the
  // files before issue 25 left, save user rules that mimic a component).
  size_t unexpected;
  // A user rule dressed as a component's, which the files before issue 25
  // allowed: unexpected now.
  const char* mimic = nullptr;
};

class ShippedFixtures : public ::testing::TestWithParam<FixtureVerdict> {};

TEST_P(ShippedFixtures, AllowEveryRuleOfTheComponentsTheyAreFor) {
  const FixtureVerdict& f = GetParam();
  const Allowlist list = Allowlist::load(shipped_dir(f.family));
  EXPECT_FALSE(list.has_errors());
  const std::vector<std::string> unexpected =
      unexpected_rules(set_from_fixture(f.file, f.family), list);
  EXPECT_EQ(unexpected.size(), f.unexpected) << ::testing::PrintToString(unexpected);
  if (f.mimic) {
    EXPECT_NE(std::find(unexpected.begin(), unexpected.end(), f.mimic), unexpected.end());
  }
  for (const std::string& rule : unexpected)
    for (std::string_view owned :
         {"KUBE-FIREWALL", "CILIUM_", "cilium", "IP-MASQ-AGENT", "AgentBaker", "localdns"})
      EXPECT_TRUE(rule.find(owned) == std::string::npos || (f.mimic && rule == f.mimic))
          << "a rule of kubelet/Cilium/AKS: " << rule;
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, ShippedFixtures,
    ::testing::Values(FixtureVerdict{"aks.v4.rules", Family::V4, 0},
                      FixtureVerdict{"cilium.v4.rules", Family::V4, 0},
                      FixtureVerdict{"ip-masq-agent.v4.rules", Family::V4, 0},
                      FixtureVerdict{"kube-proxy.v4.rules", Family::V4, 49},
                      FixtureVerdict{"sample-node.v4.rules", Family::V4, 29},
                      FixtureVerdict{"docker.v4.rules", Family::V4, 18},
                      FixtureVerdict{"kube-proxy.v6.rules", Family::V6, 16},
                      FixtureVerdict{"extensions.v4.rules", Family::V4, 96,
                                     "-A INPUT -m comment --comment \"cilium: any->cluster on "
                                     "cilium_host forward accept\" -j ACCEPT"}),
    [](const auto& info) {
      std::string name = info.param.file;
      for (char& c : name)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      return name;
    });

// The sample node keeps its one hand-added user rule unexpected.
TEST(ShippedAllowlists, SampleNodeHandAddedRuleStaysUnexpected) {
  const auto unexpected = unexpected_rules(set_from_fixture("sample-node.v4.rules", Family::V4),
                                           Allowlist::load(shipped_dir(Family::V4)));
  EXPECT_NE(std::find(unexpected.begin(), unexpected.end(),
                      "-A INPUT -p tcp -m tcp --dport 8080 -m comment --comment \"added by hand\" "
                      "-j ACCEPT"),
            unexpected.end());
}

struct TableRule {
  const char* table;
  const char* rule;
};

// Rules the components write that the fixtures do not show, from their
// sources: kubelet before 1.27 (the marked-packet rule), AgentBaker's IMDS
// restriction today (FORWARD, filter or mangle), azure-ip-masq-agent's
// quoted jump comment and --random-fully, Cilium's feeders for every chain it
// has had and its chains renamed OLD_ while the agent restarts, localdns on
// IPv6.
TEST(ShippedAllowlists, AllowTheComponentsRulesAsTheirSourcesWriteThem) {
  const TableRule allowed[] = {
      {"filter",
       "-A KUBE-FIREWALL -m comment --comment \"kubernetes firewall for dropping marked packets\" "
       "-m mark --mark 0x8000/0x8000 -j DROP"},
      {"filter", "-A OUTPUT -j KUBE-FIREWALL"},
      {"mangle",
       "-A FORWARD ! -s 10.224.0.4/32 -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -m comment "
       "--comment \"AKS managed: added by AgentBaker ensureIMDSRestriction for IMDS restriction "
       "feature\" -j DROP"},
      {"filter",
       "-A FORWARD ! -s 10.224.0.4/32 -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -m comment "
       "--comment \"AKS managed: added by AgentBaker ensureIMDSRestriction for IMDS restriction "
       "feature\" -j DROP"},
      {"nat",
       "-A POSTROUTING -m comment --comment \"\\\"ip-masq-agent: ensure nat POSTROUTING directs "
       "all "
       "non-LOCAL destination traffic to our custom IP-MASQ-AGENT chain\\\"\" -m addrtype ! "
       "--dst-type LOCAL -j IP-MASQ-AGENT"},
      {"nat",
       "-A IP-MASQ-AGENT -m comment --comment \"ip-masq-agent: outbound traffic is subject to "
       "MASQUERADE (must be last in chain)\" -j MASQUERADE --random-fully"},
      {"filter", "-A INPUT -m comment --comment \"cilium-feeder: CILIUM_INPUT\" -j CILIUM_INPUT"},
      {"filter",
       "-A INPUT -m comment --comment \"cilium-feeder: CILIUM_INPUT\" -j OLD_CILIUM_INPUT"},
      {"filter",
       "-A FORWARD -m comment --comment \"cilium-feeder: CILIUM_TRANSIENT_FORWARD\" -j "
       "CILIUM_TRANSIENT_FORWARD"},
      {"filter",
       "-A CILIUM_TRANSIENT_FORWARD -i lxc+ -m comment --comment \"cilium (transient): "
       "cluster->any on lxc+ forward accept\" -j ACCEPT"},
      {"nat", "-A POSTROUTING -m comment --comment \"cilium-feeder: CILIUM_POST\" -j CILIUM_POST"},
      {"nat",
       "-A OLD_CILIUM_POST_nat -s 10.244.1.0/24 ! -d 10.244.0.0/16 ! -o cilium_+ -m comment "
       "--comment \"cilium masquerade non-cluster\" -j MASQUERADE"},
      {"mangle",
       "-A POSTROUTING -m comment --comment \"cilium-feeder: CILIUM_POST_mangle\" -j "
       "CILIUM_POST_mangle"},
      {"raw",
       "-A OUTPUT -m comment --comment \"cilium-feeder: CILIUM_OUTPUT_raw\" -j CILIUM_OUTPUT_raw"},
  };
  const Allowlist v4 = Allowlist::load(shipped_dir(Family::V4));
  const Allowlist v6 = Allowlist::load(shipped_dir(Family::V6));
  for (const TableRule& r : allowed)
    for (const Allowlist* list : {&v4, &v6})
      EXPECT_TRUE(unexpected_rules(one_rule(r.table, r.rule, Family::V4), *list).empty())
          << list->directory() << " " << r.table << ": " << r.rule;
  EXPECT_TRUE(unexpected_rules(one_rule("raw",
                                        "-A PREROUTING -d fd00:10::10/128 -p udp -m comment "
                                        "--comment \"localdns: skip conntrack\" -m udp --dport 53 "
                                        "-j NOTRACK",
                                        Family::V6),
                               v6)
                  .empty());
}

// What a user can write to look like a component's rule. Each is allowed by
// the files before issue 25 (unanchored or comment-only patterns), none by
// the shipped files.
TEST(ShippedAllowlists, TextInCommentsPrefixesOrLongerChainNamesAllowsNothing) {
  const TableRule hostile[] = {
      // A token inside a comment.
      {"filter",
       "-A INPUT -p tcp -m tcp --dport 22 -m comment --comment \"x -j KUBE-FIREWALL\" -j DROP"},
      {"nat",
       "-A PREROUTING -m comment --comment \"x -j IP-MASQ-AGENT\" -j DNAT --to-destination "
       "10.0.0.1"},
      // Comment-only mimics of Cilium and AgentBaker.
      {"filter", "-A INPUT -m comment --comment \"cilium: x\" -j DROP"},
      {"filter",
       "-A INPUT -m comment --comment \"cilium: any->cluster on cilium_host forward accept\" -j "
       "ACCEPT"},
      {"filter", "-A INPUT -m comment --comment \"cilium-feeder: CILIUM_INPUT\" -j DROP"},
      {"filter", "-A FORWARD -m comment --comment \"cilium-feeder: CILIUM_FORWARD\" -j ACCEPT"},
      {"filter", "-A INPUT -m comment --comment \"cilium-feeder: CILIUM_EVIL\" -j CILIUM_EVIL"},
      {"filter", "-A CILIUM_EVIL -p tcp -m tcp --dport 22 -j DROP"},
      {"mangle", "-A PREROUTING -m comment --comment \"cilium: x\" -j MARK --set-xmark 0x1/0x1"},
      {"filter",
       "-A OUTPUT -m comment --comment \"AKS managed: added by AgentBaker ensureIMDSRestriction "
       "for IMDS restriction feature\" -j DROP"},
      {"filter",
       "-A INPUT -p tcp -m tcp --dport 22 -m comment --comment \"AKS managed: added by "
       "AgentBaker\" -j ACCEPT"},
      // Longer chain names.
      {"filter", "-A INPUT -j KUBE-FIREWALL2"},
      {"filter", "-A OUTPUT -j KUBE-FIREWALL-x"},
      {"nat", "-A POSTROUTING -j IP-MASQ-AGENT-x"},
      {"nat", "-A IP-MASQ-AGENT2 -j DNAT --to-destination 10.0.0.1"},
      // Log prefixes.
      {"filter", "-A INPUT -j LOG --log-prefix \"x -j KUBE-FIREWALL\""},
      {"filter", "-A INPUT -j NFLOG --nflog-prefix \"x -j KUBE-FIREWALL\""},
      {"nat", "-A PREROUTING -j NFLOG --nflog-prefix \"x -j IP-MASQ-AGENT\""},
      // A user rule in kubelet's chain.
      {"filter", "-A KUBE-FIREWALL -p tcp -m tcp --dport 22 -j DROP"},
  };
  const Allowlist v4 = Allowlist::load(shipped_dir(Family::V4));
  const Allowlist v6 = Allowlist::load(shipped_dir(Family::V6));
  for (const TableRule& r : hostile)
    for (const Allowlist* list : {&v4, &v6}) {
      const auto unexpected = unexpected_rules(one_rule(r.table, r.rule, Family::V4), *list);
      EXPECT_EQ(unexpected, std::vector<std::string>{r.rule})
          << list->directory() << " " << r.table << ": " << r.rule;
    }
  const std::string localdns_mimic =
      "-A PREROUTING -m comment --comment \"localdns: skip conntrack\" -j DROP";
  EXPECT_EQ(unexpected_rules(one_rule("raw", localdns_mimic, Family::V6), v6),
            std::vector<std::string>{localdns_mimic});
}

// validate's warning: no shipped pattern can be satisfied by free text.
TEST(ShippedAllowlists, NoPatternIsSatisfiableByFreeText) {
  for (Family family : {Family::V4, Family::V6}) {
    const Allowlist list = Allowlist::load(shipped_dir(family));
    size_t patterns = 0;
    auto none = [&](const std::vector<Pattern>& ps) {
      for (const Pattern& p : ps) {
        ++patterns;
        EXPECT_EQ(free_text_satisfiable_reason(p), std::nullopt)
            << p.source().file << ":" << p.source().line << ": " << p.text();
      }
    };
    none(list.global_patterns());
    for (auto table : kTableOrder) none(list.table_patterns(table));
    EXPECT_GT(patterns, 20u);
  }
}

}  // namespace
}  // namespace aim
