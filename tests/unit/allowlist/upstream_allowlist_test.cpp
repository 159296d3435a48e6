// The allowlists real clusters use today (upstream's ConfigMaps, kept in
// tests/support/upstream-allowlists) must load and behave as upstream's Go
// monitor made them behave.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>

#include "allowlist/allowlist.h"
#include "allowlist/lint.h"
#include "configmap.h"
#include "require.h"

namespace aim {
namespace {

class UpstreamAllowlist : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = test::upstream_allowlist_path("allowed-iptables-patterns.yaml");
    if (access(path.c_str(), R_OK) != 0)
      AIM_REQUIRE_OR_SKIP(std::string() + "reference allowlists not found at " + path);
    dir4_ = test::configmap_to_directory(path);
    dir6_ = test::configmap_to_directory(
        test::upstream_allowlist_path("allowed-ip6tables-patterns.yaml"));
  }
  void TearDown() override {
    if (!dir4_.empty()) std::system(("rm -rf '" + dir4_ + "' '" + dir6_ + "'").c_str());
  }
  bool allows(const Allowlist& list, std::string_view table, std::string_view line) {
    for (const auto* ps : {&list.table_patterns(table), &list.global_patterns()})
      for (const Pattern& p : *ps)
        if (p.search(line) == MatchResult::Match) return true;
    return false;
  }
  std::string dir4_, dir6_;
};

TEST_F(UpstreamAllowlist, LoadsWithoutErrors) {
  for (const std::string* dir : {&dir4_, &dir6_}) {
    Allowlist list = Allowlist::load(*dir);
    for (const Diagnostic& d : list.diagnostics())
      EXPECT_NE(d.severity, Diagnostic::Severity::Error) << d.to_string();
    EXPECT_GT(list.global_patterns().size(), 8u);
  }
}

TEST_F(UpstreamAllowlist, AllowsWhatUpstreamAllowed) {
  Allowlist list = Allowlist::load(dir4_);
  EXPECT_TRUE(allows(list, "nat", "-N CILIUM_POST_nat"));
  EXPECT_TRUE(allows(list, "filter", "-P FORWARD DROP"));
  EXPECT_TRUE(allows(list, "filter",
                     "-A CILIUM_FORWARD -o cilium_host -m comment --comment \"cilium: any->cluster "
                     "on cilium_host forward accept\" -j ACCEPT"));
  EXPECT_TRUE(allows(list, "nat",
                     "-A POSTROUTING -m comment --comment \"cilium-feeder: CILIUM_POST_nat\" -j "
                     "CILIUM_POST_nat"));
  EXPECT_TRUE(allows(list, "filter",
                     "-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "
                     "\"block incoming localnet connections\" -m conntrack ! --ctstate "
                     "RELATED,ESTABLISHED,DNAT -j DROP"));
  EXPECT_TRUE(allows(list, "filter", "-A OUTPUT -j KUBE-FIREWALL"));
  EXPECT_TRUE(allows(list, "nat", "-A SWIFT -s 10.240.0.0/16 -d 168.63.129.16/32 -j SNAT"));
  EXPECT_TRUE(allows(list, "raw",
                     "-A PREROUTING -d 169.254.10.10/32 -p udp -m comment --comment \"localdns: "
                     "skip conntrack\" -m udp --dport 53 -j NOTRACK"));
  EXPECT_TRUE(allows(list, "security",
                     "-A OUTPUT -d 168.63.129.16/32 -p tcp -m owner --uid-owner 0 -j ACCEPT"));
  EXPECT_TRUE(allows(list, "filter",
                     "-A OUTPUT -d 169.254.169.254/32 -p tcp -m comment --comment \"AKS managed: "
                     "added by AgentBaker ensureIMDSRestriction for IMDS restriction feature\" -m "
                     "owner ! --uid-owner 0 -j DROP"));
}

TEST_F(UpstreamAllowlist, RejectsWhatUpstreamRejected) {
  Allowlist list = Allowlist::load(dir4_);
  EXPECT_FALSE(allows(list, "filter", "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT"));
  // The table file for raw does not apply to filter.
  EXPECT_FALSE(allows(list, "filter",
                      "-A PREROUTING -d 169.254.10.10/32 -p udp -m comment --comment \"localdns: "
                      "skip conntrack\" -m udp --dport 53 -j NOTRACK"));
  // Written without the `-m udp` that -S prints: upstream never matched it.
  EXPECT_FALSE(allows(list, "filter", "-A INPUT -p udp -m udp --dport 68 -j ACCEPT"));
  // The raw patterns end in $: a longer rule is not allowed.
  EXPECT_FALSE(allows(list, "raw",
                      "-A PREROUTING -d 169.254.10.10/32 -p udp -m comment --comment \"localdns: "
                      "skip conntrack\" -m udp --dport 53 -j NOTRACK --extra"));
  // `^-A CILIUM_\S+ ` needs the space after the chain name.
  EXPECT_FALSE(allows(list, "nat", "-A CILIUM_POST_nat"));
}

TEST_F(UpstreamAllowlist, LintFindsThePortPatternsThatCanNeverMatch) {
  Allowlist list = Allowlist::load(dir4_);
  size_t never = 0;
  for (const Pattern& p : list.table_patterns("filter"))
    if (never_matching_reason(p.text())) ++never;
  EXPECT_EQ(never, 1u);
}

}  // namespace
}  // namespace aim
