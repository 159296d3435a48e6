// `check` end to end: real rules in a private namespace, real allowlist files.
#include <gtest/gtest.h>
#include <json/json.h>

#include <cstdlib>
#include <sstream>

#include "configmap.h"
#include "netns.h"
#include "require.h"

namespace aim {
namespace {

using test::run;

class CheckCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = test::enter_fresh_netns();
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
  }
  void TearDown() override {
    for (const auto& d : cleanup_) std::system(("rm -rf '" + d + "'").c_str());
  }
  std::string bin() { return test::quote(test::binary_path()); }
  // An allowlist directory whose global file allows every iptables line.
  std::string allow_all_iptables_dir() {
    const std::string dir = temp_dir();
    run("printf '.*\\n' > " + dir + "/global");
    return dir;
  }
  std::string kube_proxy_allowlist() { return std::string(AIM_ALLOWLIST_DIR) + "/kube-proxy-node"; }
  std::string temp_dir() {
    char tmpl[] = "/tmp/aim-check-XXXXXX";
    cleanup_.push_back(mkdtemp(tmpl));
    return cleanup_.back();
  }
  // Runs the command; returns stdout and sets status.
  std::string check(const std::string& args, int* status, const std::string& redirect = "") {
    auto r = run(bin() + " check --dry-run " + args + " " + redirect + "; echo \"\nrc=$?\"");
    const size_t at = r.out.rfind("\nrc=");
    *status = std::atoi(r.out.c_str() + at + 4);
    return r.out.substr(0, at);
  }
  std::vector<std::string> cleanup_;
};

Json::Value parse_json(const std::string& text) {
  Json::Value root;
  std::string errs;
  std::istringstream in(text);
  EXPECT_TRUE(Json::parseFromStream(Json::CharReaderBuilder(), in, &root, &errs)) << errs << text;
  return root;
}

TEST_F(CheckCommandTest, SampleNodeHasExactlyTheHandAddedRuleUnexpected) {
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("sample-node.v4.rules"), Family::V4), "");
  int status = 0;
  const std::string out =
      check("--backend legacy --output json --input " + test::quote(kube_proxy_allowlist()),
            &status, "2>/dev/null");
  EXPECT_EQ(status, 1);
  Json::Value report = parse_json(out);
  EXPECT_EQ(report["verdict"].asString(), "unexpected");
  EXPECT_EQ(report["label"].asString(), "true");
  ASSERT_EQ(report["unexpected"].size(), 1u) << out;
  const Json::Value& u = report["unexpected"][0];
  EXPECT_EQ(u["family"].asString(), "ipv4");
  EXPECT_EQ(u["backend"].asString(), "legacy");
  EXPECT_EQ(u["table"].asString(), "filter");
  EXPECT_EQ(u["chain"].asString(), "INPUT");
  EXPECT_EQ(u["rule"].asString(),
            "-A INPUT -p tcp -m tcp --dport 8080 -m comment --comment \"added by hand\" -j ACCEPT");
  ASSERT_EQ(report["tables"].size(), 5u);
  for (const Json::Value& t : report["tables"]) {
    EXPECT_TRUE(t["error"].isNull());
    EXPECT_GT(t["rules"].asUInt(), 0u);
  }
}

TEST_F(CheckCommandTest, RemovingTheUserRuleMakesTheNodeClean) {
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("sample-node.v4.rules"), Family::V4), "");
  ASSERT_EQ(run("iptables-legacy -D INPUT -p tcp -m tcp --dport 8080 -m comment --comment "
                "'added by hand' -j ACCEPT")
                .status,
            0);
  int status = 0;
  const std::string out =
      check("--backend legacy --input " + test::quote(kube_proxy_allowlist()), &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("verdict: clean"), std::string::npos) << out;
  EXPECT_NE(out.find("label: false"), std::string::npos) << out;
}

TEST_F(CheckCommandTest, GeneratedKubeProxyNodeIsCleanUnderItsAllowlist) {
  std::string rules;
  ASSERT_EQ(test::generate_kube_proxy_rules(&rules, 300), "");
  ASSERT_EQ(test::load_legacy_text(rules, Family::V4), "");
  int status = 0;
  const std::string out =
      check("--backend legacy --output json --input " + test::quote(kube_proxy_allowlist()),
            &status, "2>/dev/null");
  EXPECT_EQ(status, 0) << out;
  Json::Value report = parse_json(out);
  EXPECT_EQ(report["verdict"].asString(), "clean");
  // Every generated line was checked (rules and chain headers), no other.
  uint64_t checked = 0;
  for (const Json::Value& t : report["tables"]) checked += t["rules"].asUInt64();
  EXPECT_EQ(checked, test::kube_proxy_rule_count(300) + test::kube_proxy_chain_count(300)) << out;
}

TEST_F(CheckCommandTest, UnreadableTableIsUnknownNeverClean) {
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("sample-node.v4.rules"), Family::V4), "");
  const std::string dir = temp_dir();
  run("printf '.*\\n' > " + dir + "/global");  // allows everything
  int status = 0;
  const std::string out = check("--backend legacy --input " + dir, &status);
  EXPECT_EQ(status, 0) << "everything is allowed when readable: " << out;
  const std::string denied =
      run("setpriv --inh-caps=-all --bounding-set=-all " + bin() +
          " check --dry-run --backend legacy --input " + dir + " 2>&1; echo rc=$?")
          .out;
  EXPECT_NE(denied.find("verdict: unknown"), std::string::npos) << denied;
  EXPECT_NE(denied.find("label: left unchanged"), std::string::npos) << denied;
  EXPECT_NE(denied.find("rc=2"), std::string::npos) << denied;
}

// Issue 13: a namespace without any table (a container without host
// networking) was "clean" and the service sent "false".
TEST_F(CheckCommandTest, ANamespaceWithoutAnyTableIsUnknown) {
  const std::string dir = temp_dir();
  int status = 0;
  const std::string out = check("--ipv6 --input " + dir + " --input6 " + dir, &status);
  EXPECT_EQ(status, 2) << out;
  EXPECT_NE(out.find("verdict: unknown"), std::string::npos) << out;
  EXPECT_NE(out.find("no netfilter table was found"), std::string::npos) << out;
  EXPECT_NE(out.find("would send nothing"), std::string::npos) << out;
}

TEST_F(CheckCommandTest, MissingAllowlistDirectoryMakesEveryRuleUnexpected) {
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("docker.v4.rules"), Family::V4), "");
  auto r = run(
      bin() +
      " check --dry-run --backend legacy --output json --input /nonexistent/dir 2>&1 >/dev/null");
  EXPECT_NE(r.out.find("/nonexistent/dir: warning: allowlist directory does not exist"),
            std::string::npos)
      << r.out;
  int status = 0;
  Json::Value report = parse_json(
      check("--backend legacy --output json --input /nonexistent/dir", &status, "2>/dev/null"));
  EXPECT_EQ(status, 1);
  size_t lines = 0;
  for (const Json::Value& t : report["tables"]) lines += t["rules"].asUInt();
  EXPECT_EQ(report["unexpected"].size(), lines);
}

TEST_F(CheckCommandTest, UpstreamAllowlistsOnCiliumAndAksNodes) {
  const std::string cm = test::upstream_allowlist_path("allowed-iptables-patterns.yaml");
  if (access(cm.c_str(), R_OK) != 0)
    AIM_REQUIRE_OR_SKIP(std::string() + "reference allowlists not found at " + cm);
  const std::string dir = test::configmap_to_directory(cm);
  cleanup_.push_back(dir);

  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("cilium.v4.rules"), Family::V4), "");
  int status = 0;
  std::string out = check("--backend legacy --input " + dir, &status);
  EXPECT_EQ(status, 0) << out;

  ASSERT_EQ(test::enter_fresh_netns(), "");
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("aks.v4.rules"), Family::V4), "");
  Json::Value report =
      parse_json(check("--backend legacy --output json --input " + dir, &status, "2>/dev/null"));
  EXPECT_EQ(status, 1);
  ASSERT_EQ(report["unexpected"].size(), 1u);
  // Upstream's pattern for it lacks the `-m udp` that -S prints.
  EXPECT_EQ(report["unexpected"][0]["rule"].asString(),
            "-A INPUT -p udp -m udp --dport 68 -j ACCEPT");
}

TEST_F(CheckCommandTest, Ipv6IsCheckedWithItsOwnAllowlist) {
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("kube-proxy.v6.rules"), Family::V6), "");
  const std::string dir4 = temp_dir();
  const std::string dir6 = temp_dir();
  run("printf '.*\\n' > " + dir4 + "/global");
  int status = 0;
  check("--backend legacy --ipv6 --input " + dir4 + " --input6 " + dir6, &status, "2>/dev/null");
  EXPECT_EQ(status, 1) << "v6 rules with an empty v6 allowlist";
  run("printf '.*\\n' > " + dir6 + "/global");
  check("--backend legacy --ipv6 --input " + dir4 + " --input6 " + dir6, &status);
  EXPECT_EQ(status, 0);
}

TEST_F(CheckCommandTest, GoStyleFlags) {
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("docker.v4.rules"), Family::V4), "");
  const std::string dir = allow_all_iptables_dir();
  int status = 0;
  check("-backend=legacy -input=" + dir + " -dry-run -output=json", &status);
  EXPECT_EQ(status, 0);
}

TEST(ValidateCommand, ReportsEveryProblemWithFileLineColumn) {
  char tmpl[] = "/tmp/aim-validate-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  run("printf '^-N .*\\n-A (FORWARD\\n   \\n' > " + dir + "/global");
  run("printf -- '-A INPUT -p udp --dport 68 -j ACCEPT\\n' > " + dir + "/filter");
  auto r = run(test::quote(test::binary_path()) + " validate --input " + dir + " 2>&1; echo rc=$?");
  EXPECT_NE(r.out.find(dir + "/global:2:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(dir + "/global:3:1: warning"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(dir + "/filter:1:1: warning"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r.out;
  run("printf '^-N .*\\n' > " + dir + "/global; rm " + dir + "/filter");
  auto ok =
      run(test::quote(test::binary_path()) + " validate --input " + dir + " 2>&1; echo rc=$?");
  EXPECT_NE(ok.out.find("rc=0"), std::string::npos) << ok.out;
  run("rm -rf " + dir);
}

// Issue 25: patterns that text in a comment can satisfy are warned about with
// file:line, and fail validation only with --strict (upstream's ConfigMaps
// have them); the shipped files have none.
TEST(ValidateCommand, WarnsAboutCommentSatisfiablePatternsFailingOnlyWhenStrict) {
  char tmpl[] = "/tmp/aim-validate-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  run("printf '^-N .*\\n^-A .* -j (KUBE-FIREWALL)\\n' > " + dir + "/global");
  const std::string bin = test::quote(test::binary_path());
  auto r = run(bin + " validate --input " + dir + " 2>&1; echo rc=$?");
  EXPECT_NE(r.out.find(dir + "/global:2:1: warning: text inside a comment can satisfy"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("2 patterns checked, 0 problems; 1 pattern that text in a comment"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("rc=0"), std::string::npos) << r.out;
  auto strict = run(bin + " validate --strict --input " + dir + " 2>&1; echo rc=$?");
  EXPECT_NE(strict.out.find("rc=1"), std::string::npos) << strict.out;

  // A line starting with '#' is a pattern (upstream's format has no
  // comments): warned about with file and line, once (not also as
  // comment-satisfiable), failing only with --strict.
  run("printf '^-N .*\\n# allow ssh\\n' > " + dir + "/global");
  auto hashed = run(bin + " validate --input " + dir + " 2>&1; echo rc=$?");
  EXPECT_NE(hashed.out.find(dir + "/global:2:1: warning: this line starts with '#' but is a "
                                  "pattern, not a comment"),
            std::string::npos)
      << hashed.out;
  EXPECT_NE(hashed.out.find("2 patterns checked, 0 problems; 1 line starting with '#', patterns "
                            "and not comments (warnings; --strict fails on them)\nrc=0"),
            std::string::npos)
      << hashed.out;
  auto hashed_strict = run(bin + " validate --strict --input " + dir + " 2>&1; echo rc=$?");
  EXPECT_NE(hashed_strict.out.find("rc=1"), std::string::npos) << hashed_strict.out;
  run("rm -rf " + dir);

  const std::string etc = std::string(AIM_ETC_DIR) + "/azure-iptables-monitor";
  auto shipped = run(bin + " validate --strict --input " + etc + "/ipv4 --input6 " + etc +
                     "/ipv6 2>&1; echo rc=$?");
  EXPECT_NE(shipped.out.find(" patterns checked, 0 problems\nrc=0"), std::string::npos)
      << shipped.out;
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

// A rule added with the other iptables variant filters packets all the same.
TEST_F(CheckCommandTest, MixedNodesAreUnexpectedUnderAuto) {
  if (run("command -v iptables-nft-save >/dev/null").status != 0)
    AIM_REQUIRE_OR_SKIP("iptables-nft-save not installed");
  const std::string allow = test::quote(kube_proxy_allowlist());
  std::string rules;
  ASSERT_EQ(test::generate_kube_proxy_rules(&rules, 20), "");

  // kube-proxy in nft, a user rule in legacy.
  ASSERT_EQ(test::load_nft_text(rules, Family::V4), "");
  int status = 0;
  std::string out = check("--input " + allow, &status);
  EXPECT_EQ(status, 0) << out;
  ASSERT_EQ(run("iptables-legacy -A INPUT -p tcp -m tcp --dport 9 -j ACCEPT").status, 0);
  Json::Value report = parse_json(check("--output json --input " + allow, &status, "2>/dev/null"));
  EXPECT_EQ(status, 1);
  ASSERT_GE(report["unexpected"].size(), 1u);
  bool found = false;
  for (const auto& u : report["unexpected"])
    found |= u["backend"].asString() == "legacy" &&
             u["rule"].asString() == "-A INPUT -p tcp -m tcp --dport 9 -j ACCEPT";
  EXPECT_TRUE(found) << report.toStyledString();
  // Reading only nft misses it: which is why auto reads both.
  check("--backend nft --input " + allow, &status);
  EXPECT_EQ(status, 0);

  // kube-proxy in legacy, a user rule in nft.
  ASSERT_EQ(test::enter_fresh_netns(), "");
  ASSERT_EQ(test::load_legacy_text(rules, Family::V4), "");
  check("--input " + allow, &status);
  EXPECT_EQ(status, 0);
  ASSERT_EQ(run("iptables-nft -A OUTPUT -d 192.0.2.1/32 -j DROP").status, 0);
  report = parse_json(check("--output json --input " + allow, &status, "2>/dev/null"));
  EXPECT_EQ(status, 1);
  found = false;
  for (const auto& u : report["unexpected"])
    found |= u["backend"].asString() == "nft" &&
             u["rule"].asString() == "-A OUTPUT -d 192.0.2.1/32 -j DROP";
  EXPECT_TRUE(found) << report.toStyledString();
}

TEST_F(CheckCommandTest, NftOnlyNodeNeverCreatesLegacyTables) {
  if (run("command -v iptables-nft-save >/dev/null").status != 0)
    AIM_REQUIRE_OR_SKIP("iptables-nft-save not installed");
  ASSERT_EQ(test::load_nft_fixture(test::fixture_path("sample-node.v4.rules"), Family::V4), "");
  ASSERT_EQ(test::legacy_table_names(Family::V4), "");
  int status = 0;
  check("--ipv6 --input " + test::quote(kube_proxy_allowlist()) + " --input6 /nonexistent", &status,
        "2>/dev/null");
  EXPECT_EQ(status, 1);
  EXPECT_EQ(test::legacy_table_names(Family::V4), "");
  EXPECT_EQ(test::legacy_table_names(Family::V6), "");
}

// A table iptables-nft cannot show is read natively (issue 14): its rules
// are matched against the `nftables` file, not left `unknown`; with
// --nftables=false (upstream's blindness) it is `unknown` as before.
TEST_F(CheckCommandTest, IncompatibleNftTableIsReadNatively) {
  if (run("command -v nft >/dev/null").status != 0) AIM_REQUIRE_OR_SKIP("nft not installed");
  ASSERT_EQ(run("nft add table ip filter && nft add chain ip filter INPUT "
                "'{ type filter hook input priority 0; policy accept; }' && "
                "nft add rule ip filter INPUT ip saddr 1.2.3.4 ct state new log prefix x drop")
                .status,
            0);
  const std::string dir = allow_all_iptables_dir();
  int status = 0;
  const std::string out = check("--input " + dir, &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(
      out.find("add rule ip filter INPUT ip saddr 1.2.3.4 ct state new log prefix \"x\" drop"),
      std::string::npos)
      << out;
  const std::string blind = check("--nftables=false --input " + dir, &status);
  EXPECT_EQ(status, 2) << blind;
  EXPECT_NE(blind.find("verdict: unknown"), std::string::npos) << blind;
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

TEST_F(CheckCommandTest, UnreadableAllowlistFilesNeverAllowAnything) {
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("docker.v4.rules"), Family::V4), "");
  const std::string dir = temp_dir();
  run("printf '.*\\n' > " + dir + "/global && chmod 000 " + dir + "/global");
  // Without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH even root cannot read it.
  const std::string cmd = "setpriv --bounding-set=-dac_override,-dac_read_search --inh-caps=-all " +
                          bin() + " check --dry-run --backend legacy --output json --input " + dir;
  auto err = run(cmd + " 2>&1 >/dev/null");
  EXPECT_NE(err.out.find(dir + "/global: error: cannot read"), std::string::npos) << err.out;
  auto out = run(cmd + " 2>/dev/null");
  Json::Value report = parse_json(out.out);
  EXPECT_EQ(report["verdict"].asString(), "unexpected");
  EXPECT_GT(report["unexpected"].size(), 10u);
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

// The shipped allowlists (etc/azure-iptables-monitor): a Cilium node is
// clean, a kube-proxy node is not (eBPF host routing would bypass it).
TEST_F(CheckCommandTest, ShippedAllowlistsAllowCiliumNodesOnly) {
  const std::string v4 = std::string(AIM_ETC_DIR) + "/azure-iptables-monitor/ipv4";
  const std::string v6 = std::string(AIM_ETC_DIR) + "/azure-iptables-monitor/ipv6";
  auto validated = run(bin() + " validate --input " + v4 + " --input6 " + v6 + " 2>&1; echo rc=$?");
  EXPECT_NE(validated.out.find("rc=0"), std::string::npos) << validated.out;

  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("cilium.v4.rules"), Family::V4), "");
  int status = 0;
  std::string out = check("--backend legacy --input " + v4, &status);
  EXPECT_EQ(status, 0) << out;
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("aks.v4.rules"), Family::V4), "");
  out = check("--backend legacy --input " + v4, &status);
  EXPECT_EQ(status, 0) << out;
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("ip-masq-agent.v4.rules"), Family::V4),
            "");
  out = check("--backend legacy --input " + v4, &status);
  EXPECT_EQ(status, 0) << out;

  ASSERT_EQ(test::enter_fresh_netns(), "");
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("kube-proxy.v4.rules"), Family::V4), "");
  out = check("--backend legacy --input " + v4, &status);
  EXPECT_EQ(status, 1) << out;
}

// Issue 25: the shipped global allowlist was satisfied by text inside a
// comment or log prefix. On a clean Cilium node, each such user rule (as the
// real iptables prints it) is the one unexpected rule.
TEST_F(CheckCommandTest, ShippedAllowlistsAllowNoRuleForTheTextItCarries) {
  const std::string v4 = std::string(AIM_ETC_DIR) + "/azure-iptables-monitor/ipv4";
  for (const std::string& rule :
       {std::string("-A INPUT -p tcp -m tcp --dport 22 -m comment --comment \"x -j KUBE-FIREWALL\" "
                    "-j DROP"),
        std::string("-A INPUT -m comment --comment \"cilium: x\" -j DROP"),
        std::string("-A OUTPUT -j LOG --log-prefix \"x -j KUBE-FIREWALL\""),
        std::string("-A INPUT -j KUBE-FIREWALL2")}) {
    SCOPED_TRACE(rule);
    ASSERT_EQ(test::enter_fresh_netns(), "");
    ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("cilium.v4.rules"), Family::V4), "");
    if (rule.find("KUBE-FIREWALL2") != std::string::npos) {
      ASSERT_EQ(run("iptables-legacy -N KUBE-FIREWALL2").status, 0);
    }
    ASSERT_EQ(run("iptables-legacy " + rule).status, 0);
    int status = 0;
    Json::Value report =
        parse_json(check("--backend legacy --output json --input " + v4, &status, "2>/dev/null"));
    EXPECT_EQ(status, 1);
    ASSERT_EQ(report["unexpected"].size(), 1u);
    EXPECT_EQ(report["unexpected"][0]["rule"].asString(), rule);
  }
}

// Issue 25: rules put into iptables-nft's own tables with nft, which
// iptables-nft-save prints as lines the shipped allowlists allow (the jump
// to KUBE-FIREWALL, the wireserver drop, the DHCP accept) while the kernel
// drops all input, half the address space, or rewrites the destination.
// Each is shown in nft syntax, and with the shipped allowlists (no
// `nftables` file) it is the one unexpected rule.
TEST_F(CheckCommandTest, RulesIptablesTextWouldMisstateAreUnexpectedWithShippedAllowlists) {
  const std::string v4 = std::string(AIM_ETC_DIR) + "/azure-iptables-monitor/ipv4";
  struct Case {
    std::string chain, nft_rule, shown;
  };
  for (const Case& c : std::vector<Case>{
           {"INPUT", "ip saddr vmap { 0.0.0.0/0 : drop } jump KUBE-FIREWALL",
            "add rule ip filter INPUT ip saddr vmap { 0.0.0.0/0 : drop } jump KUBE-FIREWALL"},
           {"FORWARD", "ip daddr 0.0.0.0-168.63.129.16 tcp dport 80 drop",
            "add rule ip filter FORWARD ip daddr 0.0.0.0-168.63.129.16 tcp dport 80 drop"},
           {"INPUT", "udp dport 68 ip daddr set 10.9.9.9 accept",
            "add rule ip filter INPUT udp dport 68 ip daddr set 10.9.9.9 accept"}}) {
    SCOPED_TRACE(c.nft_rule);
    ASSERT_EQ(test::enter_fresh_netns(), "");
    // Kubelet's chains and jumps, as on a node; then the rule with nft.
    ASSERT_EQ(run("iptables-nft -N KUBE-FIREWALL && iptables-nft -A INPUT -j KUBE-FIREWALL && "
                  "iptables-nft -A OUTPUT -j KUBE-FIREWALL && iptables-nft -P FORWARD ACCEPT")
                  .status,
              0);
    ASSERT_EQ(run("nft " + test::quote("add rule ip filter " + c.chain + " " + c.nft_rule)).status,
              0);
    int status = 0;
    Json::Value report =
        parse_json(check("--backend nft --output json --input " + v4, &status, "2>/dev/null"));
    EXPECT_EQ(status, 1);
    EXPECT_EQ(report["verdict"].asString(), "unexpected");
    ASSERT_EQ(report["unexpected"].size(), 1u) << report;
    EXPECT_EQ(report["unexpected"][0]["rule"].asString(), c.shown);
    EXPECT_EQ(report["unexpected"][0]["backend"].asString(), "nftables");
  }
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

// Issue 14: a native nftables table was never checked: `clean` and label
// "false" on a node with a user firewall that eBPF host routing bypasses.
TEST_F(CheckCommandTest, NativeNftablesRuleIsUnexpectedEvenWhenIptablesAllowsAll) {
  ASSERT_EQ(run("nft add table inet bar && nft add chain inet bar input '{ type filter hook input "
                "priority 0; policy accept; }' && nft add rule inet bar input tcp dport 22 drop")
                .status,
            0);
  const std::string dir = allow_all_iptables_dir();
  int status = 0;
  const std::string out = check("--input " + dir, &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("add rule inet bar input tcp dport 22 drop"), std::string::npos) << out;
  // The nftables file allows native lines; global never does.
  run("printf '^add (table|chain|rule) inet bar( |$)\\n' > " + dir + "/nftables");
  EXPECT_NE(check("--input " + dir, &status).find("verdict: clean"), std::string::npos);
  EXPECT_EQ(status, 0);
  // --nftables=false is upstream's behaviour: blind to native tables.
  run("rm " + dir + "/nftables");
  check("--nftables=false --input " + dir, &status);
  EXPECT_EQ(status, 2) << "without the native table nothing is left to check: unknown";
}

// A kube-proxy nftables-mode node is clean under the kube-proxy allowlist; a
// user rule in another native table is not.
TEST_F(CheckCommandTest, KubeProxyNftablesModeIsCleanAndAUserTableIsNot) {
  ASSERT_EQ(run("nft -f " + std::string(AIM_SUPPORT_DIR) + "/nftables/kube-proxy.nft").status, 0);
  ASSERT_EQ(run("iptables-nft -t mangle -N KUBE-KUBELET-CANARY").status, 0);
  const std::string allow = std::string(AIM_ALLOWLIST_DIR) + "/kube-proxy-node";
  int status = 0;
  const std::string out = check("--input " + allow, &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("verdict: clean"), std::string::npos) << out;
  ASSERT_EQ(run("nft add table inet filter && nft add chain inet filter input '{ type filter hook "
                "input priority 0; }' && nft add rule inet filter input tcp dport 2222 accept")
                .status,
            0);
  const std::string dirty = check("--input " + allow, &status);
  EXPECT_EQ(status, 1) << dirty;
  EXPECT_NE(dirty.find("add rule inet filter input tcp dport 2222 accept"), std::string::npos)
      << dirty;
  EXPECT_EQ(dirty.find("kube-proxy"), std::string::npos) << "kube-proxy's table stays allowed";
}

}  // namespace
}  // namespace aim
