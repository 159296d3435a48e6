// The parent's side of a delta answer: the kept set with the changed chains
// put in place; anything that does not fit is refused, never guessed.
#include "rules/child/rule_delta.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "stream_builder.h"

namespace aim {
namespace {

using test::StreamBuilder;

// filter: INPUT (one rule), A, C; nat: PREROUTING.
RuleSet kept_set() {
  StreamBuilder b;
  b.w().begin_table("nat");
  b.w().begin_chain("PREROUTING", "-P PREROUTING ACCEPT");
  b.w().end_table();
  b.w().begin_table("filter");
  b.w().begin_chain("INPUT", "-P INPUT ACCEPT");
  b.rule("-A INPUT -j A\n");
  b.w().begin_chain("A", "-N A");
  b.rule("-A A -j RETURN\n");
  b.w().begin_chain("C", "-N C");
  b.w().end_table();
  RuleSet set = parse_rule_stream(b.take(), Family::V4, Backend::Nft, {"nat", "filter"}, "");
  EXPECT_TRUE(set.complete());
  return set;
}

Result<RuleSet> apply(const std::string& changes_text,
                      const std::vector<std::string>& tables = {"nat", "filter"}) {
  auto owned = std::make_shared<const std::string>(changes_text);
  auto changes = parse_rule_changes(*owned, owned, Family::V4, Backend::Nft);
  if (!changes) return Error{changes.error()};
  return apply_rule_changes(kept_set(), std::move(*changes), tables);
}

std::string chains_of(const RuleSet& set, const char* table) {
  std::string out;
  for (const Chain& c : set.find_table(table)->chains) {
    out += std::string(c.name) + "(";
    for (auto r : c.rules) out += std::string(r) + ";";
    out += ") ";
  }
  return out;
}

TEST(RuleDelta, ChangedChainsGoToTheirPlacesAndGoneOnesGo) {
  StreamBuilder b;
  b.w().begin_table_changes("filter");
  b.w().chain_place(0);
  b.w().begin_chain("INPUT", "-P INPUT DROP");
  b.w().chain_place(2);
  b.w().begin_chain("B", "-N B");
  b.rule("-A B -j ACCEPT\n");
  b.w().removed_chain("C");
  b.w().end_table_changes(3);
  auto set = apply(b.take());
  ASSERT_TRUE(set) << set.error();
  EXPECT_EQ(chains_of(*set, "filter"), "INPUT() A(-A A -j RETURN;) B(-A B -j ACCEPT;) ");
  EXPECT_EQ(set->find_table("filter")->chains[0].header, "-P INPUT DROP");
  EXPECT_EQ(chains_of(*set, "nat"), "PREROUTING() ");
  EXPECT_TRUE(set->complete());
}

TEST(RuleDelta, AWholeTableReplacesTheKeptOne) {
  StreamBuilder b;
  b.w().begin_table("nat");
  b.w().table_error("not an iptables layout: x");
  auto set = apply(b.take());
  ASSERT_TRUE(set) << set.error();
  EXPECT_FALSE(set->find_table("nat")->read_ok());
  EXPECT_EQ(chains_of(*set, "filter"), "INPUT(-A INPUT -j A;) A(-A A -j RETURN;) C() ");
}

TEST(RuleDelta, ACountThatDoesNotFitIsRefused) {
  for (size_t count : {1u, 3u}) {
    StreamBuilder b;
    b.w().begin_table_changes("filter");
    b.w().removed_chain("C");
    b.w().end_table_changes(count);  // 2 chains are left, not `count`
    EXPECT_FALSE(apply(b.take())) << count;
  }
  StreamBuilder unsaid;  // C went but the delta does not say so
  unsaid.w().begin_table_changes("filter");
  unsaid.w().end_table_changes(2);
  EXPECT_FALSE(apply(unsaid.take()));
}

TEST(RuleDelta, OtherTablesOrMalformedChangesAreRefused) {
  StreamBuilder same;
  same.w().begin_table_changes("filter");
  same.w().end_table_changes(3);
  const std::string nothing = same.take();
  ASSERT_TRUE(apply(nothing));
  EXPECT_FALSE(apply(nothing, {"filter"}));
  EXPECT_FALSE(apply(nothing, {"nat", "filter", "mangle"}));
  StreamBuilder unknown;
  unknown.w().begin_table_changes("mangle");
  unknown.w().end_table_changes(0);
  EXPECT_FALSE(apply(unknown.take()));
  // A chain without its place, a place without its chain, places out of order.
  StreamBuilder unplaced;
  unplaced.w().begin_table_changes("filter");
  unplaced.w().begin_chain("B", "-N B");
  unplaced.w().end_table_changes(4);
  EXPECT_FALSE(apply(unplaced.take()));
  StreamBuilder dangling;
  dangling.w().begin_table_changes("filter");
  dangling.w().chain_place(1);
  dangling.w().end_table_changes(3);
  EXPECT_FALSE(apply(dangling.take()));
  StreamBuilder backwards;
  backwards.w().begin_table_changes("filter");
  backwards.w().chain_place(1);
  backwards.w().begin_chain("A", "-N A");
  backwards.w().chain_place(0);
  backwards.w().begin_chain("INPUT", "-P INPUT ACCEPT");
  backwards.w().end_table_changes(3);
  EXPECT_FALSE(apply(backwards.take()));
  // Not ended: the child died mid-answer.
  StreamBuilder cut;
  cut.w().begin_table_changes("filter");
  cut.w().removed_chain("C");
  EXPECT_FALSE(apply(cut.take()));
}

TEST(RuleDelta, AnswerRecordRoundTripsAndRefusesNonsense) {
  StreamBuilder b;
  b.w().answer(12345, 7, 6);
  std::string text = b.take() + "S1 0 nat";
  std::string_view stream = text;
  auto answer = take_answer_record(stream);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->helper, 12345u);
  EXPECT_EQ(answer->answer, 7u);
  EXPECT_EQ(answer->base, 6u);
  EXPECT_EQ(stream, "S1 0 nat");
  for (std::string bad :
       {std::string("A0 1 0", 6), std::string("A1 0 0", 6), std::string("A1 2 2", 6),
        std::string("A1 2", 4), std::string("A1 2 1 ", 7), std::string("A1 2 1", 6)}) {
    const std::string framed = bad + (bad == "A1 2 1" ? std::string() : std::string(1, '\0'));
    std::string_view s = framed;
    EXPECT_FALSE(take_answer_record(s)) << bad;
    EXPECT_EQ(s.size(), framed.size());
  }
}

TEST(RuleDelta, AFullStreamRefusesChangeRecords) {
  StreamBuilder b;
  b.w().begin_table_changes("filter");
  b.w().end_table_changes(0);
  RuleSet set = parse_rule_stream(b.take(), Family::V4, Backend::Nft, {"filter"}, "");
  EXPECT_FALSE(set.complete());
}

}  // namespace
}  // namespace aim
