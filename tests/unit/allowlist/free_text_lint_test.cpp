// validate's warning about patterns that text a user writes into a rule (a
// comment, a LOG or NFLOG prefix) can satisfy (issue 25), and the strings it
// tries (pattern_witnesses).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "allowlist/allowlist.h"
#include "allowlist/lint.h"
#include "allowlist/pattern_witness.h"
#include "configmap.h"

namespace aim {
namespace {

Pattern compiled(const std::string& text) {
  auto p = Pattern::compile(text, {"test", 1});
  EXPECT_TRUE(std::holds_alternative<Pattern>(p)) << text;
  return std::move(std::get<Pattern>(p));
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The rule a reason names, between its backquotes.
std::string named_rule(const std::string& reason) {
  const size_t open = reason.find('`');
  return reason.substr(open + 1, reason.find('`', open + 1) - open - 1);
}

TEST(PatternWitnesses, FollowTheSyntax) {
  EXPECT_TRUE(contains(pattern_witnesses("^-A .* -j (KUBE-FIREWALL)"), "-A  -j KUBE-FIREWALL"));
  EXPECT_TRUE(contains(pattern_witnesses("a{3}b+c?"), "aaab"));
  EXPECT_TRUE(contains(pattern_witnesses("a{3}b+c?"), "aaabc"));
  EXPECT_TRUE(contains(pattern_witnesses("(foo|bar)$"), "foo"));
  EXPECT_TRUE(contains(pattern_witnesses("(foo|bar)$"), "bar"));
  EXPECT_TRUE(contains(pattern_witnesses("(?i:x)[^\"]+\\d\\S\\.[0-9a-f:]"), "xx0x.a"));
  EXPECT_TRUE(contains(pattern_witnesses("\\Qa.b\\E(?P<n>c)"), "a.bc"));
  EXPECT_TRUE(pattern_witnesses("(a").empty());
  EXPECT_TRUE(pattern_witnesses("*a").empty());
  // Bounded however many alternations there are.
  EXPECT_LE(pattern_witnesses("(a|b)(c|d)(e|f)(g|h)(i|j)(k|l)", 8).size(), 8u);
}

TEST(FreeTextLint, NamesARuleThePatternAllowsThroughItsComment) {
  const Pattern p = compiled("^-A .* -j (KUBE-FIREWALL)");
  const auto reason = free_text_satisfiable_reason(p);
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("inside a comment"), std::string::npos) << *reason;
  EXPECT_NE(reason->find("-j TARGET$"), std::string::npos) << *reason;
  const std::string rule = named_rule(*reason);
  EXPECT_EQ(rule.rfind("-A AIM-PROBE -m comment --comment \"", 0), 0u) << rule;
  EXPECT_EQ(p.search(rule), MatchResult::Match) << rule;
}

TEST(FreeTextLint, FindsCommentOnlyUnquotedAndChainlessPatterns) {
  for (const char* loose :
       {"^.*--comment.*cilium:", "-j KUBE-FIREWALL", "KUBE-FIREWALL$",
        "-A FORWARD -d 168.63.129.16/32 -p tcp -m tcp --dport 80 -j DROP", "-j LOG", ".*"}) {
    const Pattern p = compiled(loose);
    const auto reason = free_text_satisfiable_reason(p);
    ASSERT_TRUE(reason.has_value()) << loose;
    EXPECT_EQ(p.search(named_rule(*reason)), MatchResult::Match) << loose << ": " << *reason;
  }
}

TEST(FreeTextLint, AnchoredPatternsAreNotWarnedAbout) {
  for (const char* anchored :
       {"^-N .*", "^-P .*", "^-A (KUBE-FIREWALL) .*", "^-A CILIUM_\\S+ ", "^-A IP-MASQ-AGENT",
        "-j KUBE-FIREWALL$", "^-A (INPUT|OUTPUT) -j KUBE-FIREWALL$",
        "^-A INPUT -m comment --comment \"cilium-feeder: CILIUM_INPUT\" -j CILIUM_INPUT$"})
    EXPECT_EQ(free_text_satisfiable_reason(compiled(anchored)), std::nullopt) << anchored;
}

// Upstream's ConfigMaps: every unanchored or comment-only pattern is warned
// about, the chain-anchored ones are not.
TEST(FreeTextLint, WarnsAboutUpstreamsCommentSatisfiablePatterns) {
  const std::string yaml = test::upstream_allowlist_path("allowed-iptables-patterns.yaml");
  ASSERT_EQ(access(yaml.c_str(), R_OK), 0) << yaml;
  const std::string dir = test::configmap_to_directory(yaml);
  const Allowlist list = Allowlist::load(dir);
  std::vector<std::string> warned;
  for (const Pattern& p : list.global_patterns())
    if (free_text_satisfiable_reason(p)) warned.push_back(p.text());
  EXPECT_EQ(warned,
            (std::vector<std::string>{"^-A .* -j (KUBE-FIREWALL)", "^-A .* -j IP-MASQ-AGENT",
                                      "^.*--comment.*cilium:", "^.*--comment.*cilium-feeder:",
                                      "^.*--comment.*AKS managed: added by AgentBaker"}));
  for (auto table : {"filter", "nat", "mangle", "security"})
    for (const Pattern& p : list.table_patterns(table))
      EXPECT_TRUE(free_text_satisfiable_reason(p).has_value()) << table << ": " << p.text();
  // raw's patterns are anchored at both ends.
  for (const Pattern& p : list.table_patterns("raw"))
    EXPECT_EQ(free_text_satisfiable_reason(p), std::nullopt) << p.text();
  std::system(("rm -rf '" + dir + "'").c_str());
}

}  // namespace
}  // namespace aim
