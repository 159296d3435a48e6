#include "rules/print.h"

#include <gtest/gtest.h>
#include <json/json.h>

#include <sstream>

namespace aim {
namespace {

RuleSet sample(Backend backend, Family family) {
  RuleSet set;
  set.backend = backend;
  set.family = family;
  Table nat;
  nat.name = "nat";
  Chain pre{set.arena->add("PREROUTING"), set.arena->add("-P PREROUTING ACCEPT"), {}};
  pre.rules.push_back(set.arena->add("-A PREROUTING -j KUBE-SERVICES"));
  Chain svc{set.arena->add("KUBE-SERVICES"), set.arena->add("-N KUBE-SERVICES"), {}};
  svc.rules.push_back(set.arena->add("-A KUBE-SERVICES -m comment --comment \"x\" -j RETURN"));
  nat.chains = {pre, svc};
  Table filter;
  filter.name = "filter";
  filter.error = "cannot open legacy ipv4 table filter: Permission denied";
  set.tables = {nat, filter};
  return set;
}

TEST(Print, TsvOneSetHasNoLabelAndSkipsFailedTables) {
  std::ostringstream out;
  print_rulesets(out, {sample(Backend::Legacy, Family::V4)}, RulesFormat::Tsv);
  EXPECT_EQ(out.str(),
            "nat\t-P PREROUTING ACCEPT\n"
            "nat\t-A PREROUTING -j KUBE-SERVICES\n"
            "nat\t-N KUBE-SERVICES\n"
            "nat\t-A KUBE-SERVICES -m comment --comment \"x\" -j RETURN\n");
}

TEST(Print, TsvSeveralSetsAreLabelled) {
  std::ostringstream out;
  print_rulesets(out, {sample(Backend::Legacy, Family::V4), sample(Backend::Legacy, Family::V6)},
                 RulesFormat::Tsv);
  const std::string text = out.str();
  EXPECT_EQ(text.rfind("# legacy ipv4\n", 0), 0u);
  EXPECT_NE(text.find("\n# legacy ipv6\n"), std::string::npos);
}

TEST(Print, SaveFormatIsRestorable) {
  std::ostringstream out;
  print_rulesets(out, {sample(Backend::Legacy, Family::V4)}, RulesFormat::Save);
  EXPECT_EQ(out.str(),
            "*nat\n"
            ":PREROUTING ACCEPT [0:0]\n"
            ":KUBE-SERVICES - [0:0]\n"
            "-A PREROUTING -j KUBE-SERVICES\n"
            "-A KUBE-SERVICES -m comment --comment \"x\" -j RETURN\n"
            "COMMIT\n");
}

TEST(Print, JsonNativeSetsHaveNoFamily) {
  RuleSet native;
  native.backend = Backend::Native;
  std::ostringstream out;
  print_rulesets(out, {native}, RulesFormat::Json);
  Json::Value root;
  std::string errs;
  std::istringstream in(out.str());
  ASSERT_TRUE(Json::parseFromStream(Json::CharReaderBuilder(), in, &root, &errs)) << errs;
  EXPECT_TRUE(root["rulesets"][0]["family"].isNull()) << out.str();
  EXPECT_EQ(root["rulesets"][0]["backend"].asString(), "nftables");
}

TEST(Print, JsonCarriesErrorsAndRules) {
  std::ostringstream out;
  print_rulesets(out, {sample(Backend::Legacy, Family::V4)}, RulesFormat::Json);
  Json::Value root;
  std::string errs;
  std::istringstream in(out.str());
  ASSERT_TRUE(Json::parseFromStream(Json::CharReaderBuilder(), in, &root, &errs)) << errs;
  const Json::Value& set = root["rulesets"][0];
  EXPECT_EQ(set["family"].asString(), "ipv4");
  EXPECT_EQ(set["backend"].asString(), "legacy");
  EXPECT_TRUE(set["error"].isNull());
  EXPECT_EQ(set["tables"][0]["chains"][1]["rules"][0].asString(),
            "-A KUBE-SERVICES -m comment --comment \"x\" -j RETURN");
  EXPECT_TRUE(set["tables"][0]["error"].isNull());
  EXPECT_EQ(set["tables"][1]["error"].asString(),
            "cannot open legacy ipv4 table filter: Permission denied");
}

TEST(Print, SaveChainLine) {
  EXPECT_EQ(save_chain_line("-P INPUT DROP"), ":INPUT DROP [0:0]");
  EXPECT_EQ(save_chain_line("-N KUBE-SVC-X"), ":KUBE-SVC-X - [0:0]");
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

TEST(Print, JsonStaysValidForRuleTextThatIsNotUtf8) {
  RuleSet set;
  Table filter;
  filter.name = "filter";
  Chain input{set.arena->add("INPUT"), set.arena->add("-P INPUT ACCEPT"), {}};
  input.rules.push_back(set.arena->add("-A INPUT -m comment --comment \"bad\xff \xe2\x9c\x93\""));
  filter.chains = {input};
  set.tables = {filter};
  std::ostringstream out;
  print_rulesets(out, {set}, RulesFormat::Json);
  EXPECT_NE(out.str().find("bad\\ufffd \\u2713"), std::string::npos) << out.str();
  Json::Value root;
  std::string errs;
  std::istringstream in(out.str());
  EXPECT_TRUE(Json::parseFromStream(Json::CharReaderBuilder(), in, &root, &errs)) << errs;
}

}  // namespace
}  // namespace aim
