// Upstream's behaviour cases, and the fail-closed rules on top of them.
#include "check/check.h"

#include <gtest/gtest.h>

#include <atomic>
#include <sstream>

#include "check/report_format.h"

namespace aim {
namespace {

using Files = std::vector<std::pair<std::string, std::string>>;

// A RuleSet from "table: line" strings; chains are taken from the lines.
RuleSet make_set(const std::vector<std::pair<std::string, std::string>>& lines,
                 Family family = Family::V4, Backend backend = Backend::Legacy) {
  RuleSet set;
  set.family = family;
  set.backend = backend;
  for (const auto& [table, line] : lines) {
    Table* t = nullptr;
    for (auto& existing : set.tables)
      if (existing.name == table) t = &existing;
    if (!t) {
      set.tables.push_back(Table{table, {}, {}});
      t = &set.tables.back();
    }
    std::string chain = line.substr(3);
    chain = chain.substr(0, chain.find(' '));
    if (line.rfind("-A ", 0) == 0) {
      if (t->chains.empty() || t->chains.back().name != chain)
        t->chains.push_back(Chain{set.arena->add(chain), set.arena->add("-N " + chain), {}, 0});
      t->chains.back().rules.push_back(set.arena->add(line));
    } else {
      t->chains.push_back(Chain{set.arena->add(chain), set.arena->add(line), {}, 0});
    }
  }
  return set;
}

Report run(const RuleSet& set, const Allowlist& list, MatchCache* cache = nullptr) {
  return check({{&set, &list}}, cache);
}

// Issue 13: a namespace with no tables at all was "clean" and labelled
// false. A node always has tables; none seen is unknown.
TEST(Check, NoTableAnywhereIsUnknownNeverClean) {
  RuleSet v4 = make_set({});
  RuleSet v6 = make_set({}, Family::V6, Backend::Nft);
  Allowlist list = Allowlist::from_files("/d", {});
  Report r = check({{&v4, &list}, {&v6, &list}});
  EXPECT_EQ(r.verdict, Verdict::Unknown);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], kNoTablesError);
  // One empty table anywhere is enough to have looked at the right place.
  v6.tables.push_back(Table{"raw", {}, {}});
  EXPECT_EQ(check({{&v4, &list}, {&v6, &list}}).verdict, Verdict::Clean);
}

TEST(Check, EmptyTablesAreClean) {
  RuleSet set;
  set.tables.push_back(Table{"nat", {}, {}});
  set.tables.push_back(Table{"filter", {}, {}});
  Allowlist list = Allowlist::from_files("/d", {});
  Report r = run(set, list);
  EXPECT_EQ(r.verdict, Verdict::Clean);
  EXPECT_EQ(r.tables.size(), 2u);
}

TEST(Check, AllMatchingIsClean) {
  RuleSet set = make_set({{"filter", "-P INPUT ACCEPT"}, {"filter", "-A INPUT -j KUBE-FIREWALL"}});
  Allowlist list =
      Allowlist::from_files("/d", {{"global", "^-P .*\n^-N .*\n^-A .* -j (KUBE-FIREWALL)"}});
  Report r = run(set, list);
  EXPECT_EQ(r.verdict, Verdict::Clean);
  EXPECT_EQ(r.lines_checked, 2u);  // the -P line and the rule
}

TEST(Check, OneUnmatchedRuleIsUnexpectedAndNamed) {
  RuleSet set = make_set({{"filter", "-P INPUT ACCEPT"},
                          {"filter", "-A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT"},
                          {"nat", "-P PREROUTING ACCEPT"}});
  Allowlist list = Allowlist::from_files("/d", {{"global", "^-P .*\n^-N .*"}});
  Report r = run(set, list);
  EXPECT_EQ(r.verdict, Verdict::Unexpected);
  ASSERT_EQ(r.unexpected.size(), 1u);
  EXPECT_EQ(r.unexpected[0].table, "filter");
  EXPECT_EQ(r.unexpected[0].chain, "INPUT");
  EXPECT_EQ(r.unexpected[0].rule, "-A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT");
  EXPECT_EQ(r.unexpected[0].family, Family::V4);
  EXPECT_EQ(r.unexpected[0].backend, Backend::Legacy);
}

TEST(Check, RulesWithNoPatternsAreUnexpected) {
  RuleSet set = make_set({{"filter", "-P INPUT ACCEPT"}});
  Allowlist list = Allowlist::from_files("/d", {});
  Report r = run(set, list);
  EXPECT_EQ(r.verdict, Verdict::Unexpected);
  EXPECT_EQ(r.unexpected.size(), 1u) << "-P lines are matched too";
}

TEST(Check, InvalidPatternSkippedWhileOthersApply) {
  RuleSet set = make_set({{"filter", "-P INPUT ACCEPT"}});
  Allowlist list = Allowlist::from_files("/d", {{"global", "^-P (\n^-P .*"}});
  EXPECT_EQ(list.diagnostics().size(), 1u);
  EXPECT_EQ(run(set, list).verdict, Verdict::Clean);
}

TEST(Check, GlobalAppliesToEveryTable) {
  RuleSet set = make_set({{"nat", "-P PREROUTING ACCEPT"},
                          {"mangle", "-P PREROUTING ACCEPT"},
                          {"filter", "-P INPUT ACCEPT"},
                          {"raw", "-P OUTPUT ACCEPT"},
                          {"security", "-P OUTPUT ACCEPT"}});
  Allowlist list = Allowlist::from_files("/d", {{"global", "^-P "}});
  EXPECT_EQ(run(set, list).verdict, Verdict::Clean);
}

TEST(Check, TableFileDoesNotLeakIntoAnotherTable) {
  RuleSet set =
      make_set({{"nat", "-A POSTROUTING -j SWIFT"}, {"filter", "-A POSTROUTING -j SWIFT"}});
  Allowlist list =
      Allowlist::from_files("/d", {{"nat", "-A POSTROUTING -j SWIFT\n^-N "}, {"global", ""}});
  Report r = run(set, list);
  EXPECT_EQ(r.verdict, Verdict::Unexpected);
  ASSERT_EQ(r.unexpected.size(), 2u);  // filter's -N and -A
  for (const auto& u : r.unexpected) EXPECT_EQ(u.table, "filter");
}

TEST(Check, ReadErrorWithoutUnexpectedIsUnknownNeverClean) {
  RuleSet set = make_set({{"nat", "-P PREROUTING ACCEPT"}});
  set.tables.push_back(
      Table{"filter", "cannot open legacy ipv4 table filter: Permission denied", {}});
  Allowlist list = Allowlist::from_files("/d", {{"global", "^-P "}});
  Report r = run(set, list);
  EXPECT_EQ(r.verdict, Verdict::Unknown);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("legacy ipv4 table filter"), std::string::npos);
  EXPECT_EQ(label_for(r.verdict), "");
}

TEST(Check, BackendErrorIsUnknown) {
  RuleSet set;
  set.backend = Backend::Nft;
  set.error = "iptables-nft-save failed";
  Allowlist list = Allowlist::from_files("/d", {});
  EXPECT_EQ(run(set, list).verdict, Verdict::Unknown);
}

// Issue 26: with only the erroring set, "no tables anywhere" made the
// verdict unknown on its own and hid a dropped set error. A clean legacy
// table beside an nft set that failed as a whole must still be unknown.
TEST(Check, BackendErrorBesideACleanTableIsUnknown) {
  RuleSet legacy = make_set({{"filter", "-P INPUT ACCEPT"}});
  RuleSet nft;
  nft.backend = Backend::Nft;
  nft.error = "cannot list the nft tables";
  Allowlist list = Allowlist::from_files("/d", {{"global", "^-P "}});
  Report r = check({{&legacy, &list}, {&nft, &list}});
  EXPECT_EQ(r.verdict, Verdict::Unknown);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("cannot list the nft tables"), std::string::npos) << r.errors[0];
}

// Rules that only nft syntax shows whole and that no native reader took
// were never matched: their table is not decided, even if every rule it
// shows as text is allowed.
TEST(Check, RulesNobodyMatchedAreUnknown) {
  RuleSet set = make_set({{"filter", "-P INPUT ACCEPT"}}, Family::V4, Backend::Nft);
  set.tables[0].native_rules.push_back({"INPUT", 7, "a verdict map"});
  Allowlist list = Allowlist::from_files("/d", {{"global", "^-P "}});
  Report r = run(set, list);
  EXPECT_EQ(r.verdict, Verdict::Unknown);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("chain INPUT: a verdict map"), std::string::npos) << r.errors[0];
}

TEST(Check, UnexpectedWinsOverReadErrors) {
  RuleSet set = make_set({{"nat", "-A POSTROUTING -j USER"}});
  set.tables.push_back(Table{"filter", "boom", {}});
  Allowlist list = Allowlist::from_files("/d", {});
  EXPECT_EQ(run(set, list).verdict, Verdict::Unexpected);
}

TEST(Check, EachFamilyUsesItsOwnAllowlist) {
  RuleSet v4 = make_set({{"filter", "-A INPUT -s 10.0.0.0/8 -j ACCEPT"}}, Family::V4);
  RuleSet v6 = make_set({{"filter", "-A INPUT -s fd00::/8 -j ACCEPT"}}, Family::V6);
  Allowlist a4 = Allowlist::from_files("/4", {{"global", "^-N \n-s 10\\.0\\.0\\.0/8"}});
  Allowlist a6 = Allowlist::from_files("/6", {{"global", "^-N \n-s fd00::/8"}});
  EXPECT_EQ(check({{&v4, &a4}, {&v6, &a6}}).verdict, Verdict::Clean);
  Report crossed = check({{&v4, &a6}, {&v6, &a4}});
  EXPECT_EQ(crossed.unexpected.size(), 2u);
  EXPECT_EQ(crossed.unexpected[1].family, Family::V6);
}

TEST(Check, LimitHitCountsAsNoMatchAndIsReportedOncePerPattern) {
  const std::string line = "-A INPUT -m comment --comment \"" + std::string(4000, 'a') + "!\"";
  RuleSet set = make_set({{"filter", line}, {"filter", line + " "}});
  Allowlist list = Allowlist::from_files("/d", {{"filter", "\"(a|a)*\"$\n^-N "}});
  Report r = run(set, list);
  EXPECT_EQ(r.verdict, Verdict::Unexpected);
  ASSERT_EQ(r.limit_hits.size(), 1u);
  EXPECT_EQ(r.limit_hits[0].rules, 2u);
  EXPECT_EQ(r.limit_hits[0].source.line, 1u);
}

TEST(Check, CacheSkipsAllowedLinesButNeverHidesNewOnes) {
  RuleSet set = make_set({{"filter", "-P INPUT ACCEPT"}, {"filter", "-A INPUT -j KUBE-FIREWALL"}});
  Allowlist list = Allowlist::from_files("/d", {{"global", "^-P \n^-N \n^-A INPUT -j KUBE-"}});
  MatchCache cache;
  Report first = run(set, list, &cache);
  EXPECT_EQ(first.verdict, Verdict::Clean);
  EXPECT_EQ(first.lines_from_cache, 0u);
  Report second = run(set, list, &cache);
  EXPECT_EQ(second.verdict, Verdict::Clean);
  EXPECT_EQ(second.lines_from_cache, 2u);

  RuleSet changed = make_set({{"filter", "-P INPUT ACCEPT"},
                              {"filter", "-A INPUT -j KUBE-FIREWALL"},
                              {"filter", "-A INPUT -j USER"}});
  Report third = run(changed, list, &cache);
  EXPECT_EQ(third.verdict, Verdict::Unexpected);
  EXPECT_EQ(third.unexpected.size(), 1u);

  // A new allowlist (new generation) re-decides everything.
  Allowlist stricter = Allowlist::from_files("/d", {{"global", "^-N "}});
  Report fourth = run(set, stricter, &cache);
  EXPECT_EQ(fourth.lines_from_cache, 0u);
  EXPECT_EQ(fourth.verdict, Verdict::Unexpected);
}

TEST(Check, CacheIsPerTable) {
  RuleSet a = make_set({{"nat", "-A X -j Y"}});
  RuleSet b = make_set({{"filter", "-A X -j Y"}});
  Allowlist list = Allowlist::from_files("/d", {{"nat", "^-A X -j Y$\n^-N "}, {"filter", "^-N "}});
  MatchCache cache;
  EXPECT_EQ(run(a, list, &cache).verdict, Verdict::Clean);
  EXPECT_EQ(run(b, list, &cache).verdict, Verdict::Unexpected);
}

// Each chain made anew (ruleset.h: Chain::id), as the rule stream's parser does.
void give_ids(RuleSet& set) {
  for (Table& t : set.tables)
    for (Chain& c : t.chains) c.id = next_chain_id();
}

// A chain a kept set hands on again (the same id), every line of it allowed
// by this allowlist before, is allowed by its id alone: no line of it is
// even looked up, so the line cache ends empty.
TEST(Check, AChainAllowedBeforeIsAllowedAgainByItsIdAlone) {
  const std::vector<std::pair<std::string, std::string>> lines = {
      {"filter", "-A INPUT -j KUBE-FIREWALL"}, {"filter", "-A INPUT -j KUBE-SERVICES"}};
  RuleSet set = make_set(lines);
  give_ids(set);
  Allowlist list = Allowlist::from_files("/d", {{"global", "^-N \n^-A INPUT -j KUBE-"}});
  MatchCache cache;
  Report first = run(set, list, &cache);
  EXPECT_EQ(first.verdict, Verdict::Clean);
  EXPECT_EQ(first.lines_from_cache, 0u);
  EXPECT_EQ(cache.size(), 3u);  // the header and two rules
  Report second = run(set, list, &cache);
  EXPECT_EQ(second.verdict, Verdict::Clean);
  EXPECT_EQ(second.lines_checked, 3u);
  EXPECT_EQ(second.lines_from_cache, 3u);
  EXPECT_EQ(cache.size(), 0u) << "decided by the chain's id: no line looked up";
  // Another allowlist: the chain's id allows nothing under it.
  Allowlist stricter = Allowlist::from_files("/d", {{"global", "^-N "}});
  Report third = run(set, stricter, &cache);
  EXPECT_EQ(third.verdict, Verdict::Unexpected);
  EXPECT_EQ(third.unexpected.size(), 2u);
  // The same text made again (a new id): decided line by line.
  RuleSet again = make_set(lines);
  give_ids(again);
  Report fourth = run(again, list, &cache);
  EXPECT_EQ(fourth.verdict, Verdict::Clean);
  EXPECT_EQ(cache.size(), 3u);
}

TEST(Check, AChainWithAnUnexpectedLineIsNeverAllowedByItsId) {
  RuleSet set = make_set({{"filter", "-A INPUT -j KUBE-FIREWALL"}, {"filter", "-A INPUT -j USER"}});
  give_ids(set);
  Allowlist list = Allowlist::from_files("/d", {{"global", "^-N \n^-A INPUT -j KUBE-"}});
  MatchCache cache;
  for (int i = 0; i < 3; ++i) {
    Report r = run(set, list, &cache);
    EXPECT_EQ(r.verdict, Verdict::Unexpected) << "check " << i;
    ASSERT_EQ(r.unexpected.size(), 1u) << "check " << i;
    EXPECT_EQ(r.unexpected[0].rule, "-A INPUT -j USER");
  }
}

TEST(Check, AChainWithoutAnIdIsDecidedLineByLine) {
  RuleSet set = make_set({{"filter", "-A INPUT -j KUBE-FIREWALL"}});  // id 0
  Allowlist list = Allowlist::from_files("/d", {{"global", "^-N \n^-A INPUT -j KUBE-"}});
  MatchCache cache;
  run(set, list, &cache);
  Report second = run(set, list, &cache);
  EXPECT_EQ(second.lines_from_cache, 2u);
  EXPECT_EQ(cache.size(), 2u) << "its lines were looked up";
}

// A check stopped inside a chain remembers nothing of that chain.
TEST(Check, AChainAnInterruptedCheckDidNotFinishIsNotAllowedByItsId) {
  RuleSet set = make_set({{"filter", "-A INPUT -j KUBE-FIREWALL"}});
  give_ids(set);
  Allowlist list = Allowlist::from_files("/d", {{"global", "^-N \n^-A INPUT -j KUBE-"}});
  MatchCache cache;
  std::atomic<bool> stop{true};
  Report stopped = check({{&set, &list}}, &cache, nullptr, CheckLimits{{}, &stop});
  EXPECT_EQ(stopped.verdict, Verdict::Unknown);
  Report next = run(set, list, &cache);
  EXPECT_EQ(next.verdict, Verdict::Clean);
  EXPECT_EQ(next.lines_from_cache, 0u);
}

TEST(ReportFormat, TextGroupsByTableAndChainThenSummarizes) {
  RuleSet set = make_set(
      {{"filter", "-A INPUT -j A"}, {"filter", "-A INPUT -j B"}, {"nat", "-A POSTROUTING -j C"}});
  Allowlist list = Allowlist::from_files("/d", {{"global", "^-N "}});
  Report r = run(set, list);
  std::ostringstream out;
  print_report_text(out, r);
  EXPECT_EQ(out.str(),
            "legacy ipv4 table filter chain INPUT:\n"
            "  -A INPUT -j A\n"
            "  -A INPUT -j B\n"
            "legacy ipv4 table nat chain POSTROUTING:\n"
            "  -A POSTROUTING -j C\n"
            "\n"
            "verdict: unexpected (3 unexpected (filter 2, nat 1) of 5 lines in 2 tables)\n"
            "label: true\n");
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

// Issue 13: a stop request during matching was not acted on, and a check
// had no bound. Both end matching early, the verdict unknown.
TEST(CheckLimits, StopRequestEndsMatchingUnknown) {
  RuleSet set = make_set({{"filter", "-A INPUT -j ACCEPT"}, {"filter", "-A INPUT -j DROP"}});
  Allowlist list = Allowlist::from_files("/d", {{"global", "nothing-matches-this\n"}});
  std::atomic<bool> stop{true};
  CheckLimits limits;
  limits.stop = &stop;
  Report r = check({{&set, &list}}, nullptr, nullptr, limits);
  EXPECT_EQ(r.verdict, Verdict::Unknown);
  EXPECT_TRUE(r.unexpected.empty()) << "undecided lines are not unexpected";
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors.back().find("stopped"), std::string::npos) << r.errors.back();
}

TEST(CheckLimits, OverrunBudgetIsUnknownAndNamesTheSlowPattern) {
  std::vector<std::pair<std::string, std::string>> lines;
  for (int i = 0; i < 200; ++i)
    lines.push_back({"filter", "-A INPUT -j ACCEPT" + std::to_string(i)});
  RuleSet set = make_set(lines);
  std::string patterns;
  for (int i = 0; i < 100; ++i) patterns += "nope" + std::to_string(i) + "\n";
  Allowlist list = Allowlist::from_files("/d", {{"global", patterns}});
  CheckLimits limits;
  limits.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  Report r = check({{&set, &list}}, nullptr, nullptr, limits);
  EXPECT_EQ(r.verdict, Verdict::Unknown);
  ASSERT_FALSE(r.errors.empty());
  EXPECT_NE(r.errors.back().find("time budget"), std::string::npos) << r.errors.back();
  EXPECT_LT(r.lines_checked, 200u);
  // Without limits the same check decides every line.
  EXPECT_EQ(check({{&set, &list}}).verdict, Verdict::Unexpected);
}

}  // namespace
}  // namespace aim
