// The legacy reader's incremental reads (issue 29 item 3) against full reads
// of the same state: random changes to real kernel tables in a private
// network namespace, and after each one the reader that keeps what it read
// must return exactly what a fresh reader returns (the text of every table,
// chain and rule), whatever it reused.
#include <gtest/gtest.h>

#include <iostream>
#include <random>
#include <sstream>

#include "netns.h"
#include "require.h"
#include "rules/legacy/reader.h"

namespace aim {
namespace {

using test::run;

class LegacyIncrementalTest : public ::testing::TestWithParam<Family> {
 protected:
  void SetUp() override {
    const std::string why = test::enter_fresh_netns();
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
  }
};

// How many tables the read says it kept, from its note (0 without one).
size_t kept_tables(const RuleSet& set) {
  for (const std::string& note : set.stats.notes)
    if (note.find("unchanged since the last read") != std::string::npos)
      return std::stoul(note.substr(0, note.find(' ')));
  return 0;
}

// Reads with the incremental reader and with a fresh one; both must be
// complete and print the same. Returns how many tables the incremental read
// kept.
size_t expect_same_as_full_read(LegacyReader& incremental, Family family, const std::string& step) {
  RuleSet kept = incremental.read(family);
  LegacyReader fresh;
  RuleSet full = fresh.read(family);
  EXPECT_TRUE(full.complete()) << step << ": " << full.error;
  EXPECT_TRUE(kept.complete()) << step << ": " << kept.error;
  for (const Table& t : kept.tables) EXPECT_TRUE(t.read_ok()) << step << ": " << t.error;
  EXPECT_EQ(test::tsv(kept), test::tsv(full)) << "after " << step;
  EXPECT_EQ(kept_tables(full), 0u) << "a fresh reader has nothing to keep";
  return kept_tables(kept);
}

TEST_P(LegacyIncrementalTest, EveryReadEqualsAFullReadOfTheSameStateUnderRandomChanges) {
  const Family family = GetParam();
  const std::string ipt = test::legacy_binary(family);
  // A kube-proxy-shaped start: nat and filter with thousands of jumps.
  std::string rules;
  ASSERT_EQ(test::generate_kube_proxy_rules(&rules, 40, family, 2), "");
  ASSERT_EQ(test::load_legacy_text(rules, family), "");
  ASSERT_EQ(run(ipt + " -N USER-A && " + ipt + " -N user_b.2 && " + ipt +
                " -A INPUT -j USER-A && " + ipt + " -I INPUT 1 -p udp --dport 68 -j ACCEPT")
                .status,
            0);
  auto random_rules = run(std::string(AIM_SUPPORT_DIR) + "/gen_random_rules.py 29 400 --family " +
                          (family == Family::V6 ? "6" : "4"));
  ASSERT_EQ(random_rules.status, 0);
  std::vector<std::string> grammar;
  {
    std::istringstream in(random_rules.out);
    for (std::string line; std::getline(in, line);) grammar.push_back(line);
  }
  ASSERT_FALSE(grammar.empty());

  LegacyReader incremental;
  EXPECT_EQ(expect_same_as_full_read(incremental, family, "the first read"), 0u);
  // A reader keeps nothing from its first read of a family (a command reads
  // once); the second one keeps.
  EXPECT_EQ(expect_same_as_full_read(incremental, family, "the second read"), 0u);
  // Nothing changed: every table is kept and still the same text.
  const size_t loaded = incremental.read(family).tables.size();
  ASSERT_GE(loaded, 2u);
  EXPECT_EQ(expect_same_as_full_read(incremental, family, "no change"), loaded);

  std::mt19937 random(29);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(random); };
  std::vector<std::string> first_use{"raw", "mangle", "security"};
  int user_chains = 0, same_size = 0;
  size_t kept_total = 0, kept_after_change = 0;
  for (int step = 0; step < 60; ++step) {
    std::string what;
    switch (pick(11)) {
      case 0:
      case 1: {  // a rule of the grammar, in a built-in chain or USER-A (some are refused)
        const std::string chain = std::vector<std::string>{"INPUT", "FORWARD", "OUTPUT"}[pick(3)];
        std::string rule = grammar[pick(grammar.size())];
        rule = rule.substr(rule.find(' '));  // the grammar's own chain off
        what = ipt + " -A " + chain + rule;
        break;
      }
      case 2:  // a same-size replacement (iptables -R): the size poll cannot see it
        what = ipt + " -R INPUT 1 -p udp --dport " + std::to_string(68 + (++same_size % 2)) +
               " -j ACCEPT";
        break;
      case 3:  // a rule deleted
        what =
            ipt + " -D " + std::vector<std::string>{"FORWARD", "OUTPUT", "USER-A"}[pick(3)] + " 1";
        break;
      case 4:  // a chain added, jumped to
        ++user_chains;
        what = ipt + " -N U" + std::to_string(user_chains) + " && " + ipt + " -A FORWARD -j U" +
               std::to_string(user_chains);
        break;
      case 5:  // a chain removed (with the jump to it)
        what = ipt + " -D FORWARD -j U" + std::to_string(user_chains) + " && " + ipt + " -X U" +
               std::to_string(user_chains);
        break;
      case 6:  // a chain renamed: only its name and the jumps' text change
        what = ipt + " -E USER-A USER-B || " + ipt + " -E USER-B USER-A";
        break;
      case 7:  // a policy
        what = ipt + " -P FORWARD " + (pick(2) ? "DROP" : "ACCEPT");
        break;
      case 8:  // a table's first use (its module loads it, empty)
        if (!first_use.empty()) {
          what = ipt + " -t " + first_use.back() + " -S >/dev/null";
          first_use.pop_back();
        } else {
          what = ipt + " -t mangle -A PREROUTING -p tcp --dport " + std::to_string(step) +
                 " -j MARK --set-mark " + std::to_string(step);
        }
        break;
      case 9:  // counters only: no change at all
        what = ipt + " -Z && " + ipt + " -t nat -Z";
        break;
      default:  // nat: a service-like chain and its jump, as kube-proxy adds them
        what = ipt + " -t nat -N KUBE-SVC-T" + std::to_string(step) + " && " + ipt +
               " -t nat -A KUBE-SERVICES -d 10.9.0." + std::to_string(step) +
               "/32 -p tcp --dport 80 -j KUBE-SVC-T" + std::to_string(step);
        if (family == Family::V6) {
          what = ipt + " -t nat -N KUBE-SVC-T" + std::to_string(step) + " && " + ipt +
                 " -t nat -A KUBE-SERVICES -d fd00::" + std::to_string(step) +
                 "/128 -p tcp --dport 80 -j KUBE-SVC-T" + std::to_string(step);
        }
        break;
    }
    if (what.empty()) continue;
    run(what + " 2>/dev/null");
    const size_t kept = expect_same_as_full_read(incremental, family, what);
    kept_total += kept;
    if (what.find(" -Z") == std::string::npos) kept_after_change += kept;
    if (step == 30) {
      incremental.forget_kept();
      EXPECT_EQ(expect_same_as_full_read(incremental, family, "forget_kept"), 0u)
          << "after forget_kept the next read keeps nothing";
    }
    if (HasFailure()) {
      std::cout << "failed at step " << step << ": " << what << "\n";
      return;
    }
  }
  // The reader did keep tables (the test would prove nothing otherwise), also
  // right after changes to other tables.
  EXPECT_GT(kept_total, 30u);
  EXPECT_GT(kept_after_change, 0u);
  std::cout << "tables kept over the run: " << kept_total << "\n";
}

INSTANTIATE_TEST_SUITE_P(Families, LegacyIncrementalTest, ::testing::Values(Family::V4, Family::V6),
                         [](const auto& info) { return info.param == Family::V4 ? "v4" : "v6"; });

TEST_P(LegacyIncrementalTest, ATableThatWentAwayAndCameBackIsReadAgain) {
  const Family family = GetParam();
  const std::string ipt = test::legacy_binary(family);
  ASSERT_EQ(run(ipt + " -A INPUT -p tcp --dport 22 -j ACCEPT").status, 0);
  LegacyReader incremental;
  expect_same_as_full_read(incremental, family, "the first read");
  EXPECT_EQ(expect_same_as_full_read(incremental, family, "the second read"), 0u);
  EXPECT_EQ(expect_same_as_full_read(incremental, family, "nothing changed"), 1u);
  // The same rule text, in a table reloaded with another chain beside it.
  ASSERT_EQ(test::load_legacy_text(
                "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                ":X - [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n",
                family),
            "");
  EXPECT_EQ(expect_same_as_full_read(incremental, family, "a chain added by restore"), 0u);
  EXPECT_EQ(expect_same_as_full_read(incremental, family, "nothing changed"), 1u);
}

}  // namespace
}  // namespace aim
