#include "rules/child/rule_stream.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "stream_builder.h"

namespace aim {
namespace {

using test::StreamBuilder;

TEST(RuleStream, RoundTripsTablesChainsAndRules) {
  StreamBuilder b;
  b.w().begin_table("nat");
  b.w().begin_chain("PREROUTING", "-P PREROUTING ACCEPT");
  b.rule("-A PREROUTING -j KUBE-SERVICES\n");
  b.w().begin_chain("KUBE-SERVICES", "-N KUBE-SERVICES");
  b.w().end_table();
  b.w().begin_table("filter");
  b.w().begin_chain("INPUT", "-P INPUT DROP");
  b.rule("-A INPUT -m comment --comment \"a\nb\" -j ACCEPT\n");
  b.w().end_table();

  RuleSet set = parse_rule_stream(b.take(), Family::V4, Backend::Legacy, {"nat", "filter"}, "");
  ASSERT_TRUE(set.complete());
  ASSERT_EQ(set.tables.size(), 2u);
  const Table& nat = set.tables[0];
  EXPECT_EQ(nat.name, "nat");
  ASSERT_EQ(nat.chains.size(), 2u);
  EXPECT_EQ(nat.chains[0].header, "-P PREROUTING ACCEPT");
  ASSERT_EQ(nat.chains[0].rules.size(), 1u);
  EXPECT_EQ(nat.chains[0].rules[0], "-A PREROUTING -j KUBE-SERVICES");
  EXPECT_EQ(nat.chains[1].header, "-N KUBE-SERVICES");
  EXPECT_TRUE(nat.chains[1].rules.empty());
  // A newline inside a comment stays inside the one rule.
  EXPECT_EQ(set.tables[1].chains[0].rules[0], "-A INPUT -m comment --comment \"a\nb\" -j ACCEPT");
  EXPECT_EQ(set.tables[1].line_count(), 2u);
}

TEST(RuleStream, TableErrorIsKeptAndContentDropped) {
  StreamBuilder b;
  b.w().begin_table("nat");
  b.w().begin_chain("PREROUTING", "-P PREROUTING ACCEPT");
  b.rule("-A PREROUTING -m foo\n");
  b.w().table_error("cannot render rule 1 of chain PREROUTING: no extension for match 'foo'");
  b.w().begin_table("filter");
  b.w().begin_chain("INPUT", "-P INPUT ACCEPT");
  b.w().end_table();

  RuleSet set = parse_rule_stream(b.take(), Family::V4, Backend::Legacy, {"nat", "filter"}, "");
  EXPECT_FALSE(set.complete());
  EXPECT_EQ(set.tables[0].error,
            "cannot render rule 1 of chain PREROUTING: no extension for match 'foo'");
  EXPECT_TRUE(set.tables[0].chains.empty());
  EXPECT_TRUE(set.tables[1].read_ok());
}

TEST(RuleStream, ChildDyingMidTableFailsThatTableAndTheRest) {
  StreamBuilder b;
  b.w().begin_table("nat");
  b.w().begin_chain("PREROUTING", "-P PREROUTING ACCEPT");
  b.w().end_table();
  b.w().begin_table("filter");
  b.w().begin_chain("INPUT", "-P INPUT ACCEPT");
  b.w().begin_rule();
  std::fputs("-A INPUT -m comm", b.file());  // cut off: no terminator

  RuleSet set = parse_rule_stream(b.take(), Family::V4, Backend::Legacy, {"nat", "filter", "raw"},
                                  "exited with status 3: boom");
  ASSERT_EQ(set.tables.size(), 3u);
  EXPECT_TRUE(set.tables[0].read_ok());
  EXPECT_FALSE(set.tables[1].read_ok());
  EXPECT_NE(set.tables[1].error.find("exited with status 3: boom"), std::string::npos);
  EXPECT_TRUE(set.tables[1].chains.empty());
  EXPECT_FALSE(set.tables[2].read_ok());
  EXPECT_FALSE(set.complete());
}

TEST(RuleStream, TableWithoutEndIsNotComplete) {
  StreamBuilder b;
  b.w().begin_table("nat");
  b.w().begin_chain("PREROUTING", "-P PREROUTING ACCEPT");
  RuleSet set = parse_rule_stream(b.take(), Family::V4, Backend::Legacy, {"nat"}, "");
  EXPECT_FALSE(set.complete());
}

TEST(RuleStream, RuleNotStartingWithItsChainIsRejected) {
  StreamBuilder b;
  b.w().begin_table("filter");
  b.w().begin_chain("INPUT", "-P INPUT ACCEPT");
  b.rule("-A OUTPUT -j ACCEPT\n");
  b.w().end_table();
  RuleSet set = parse_rule_stream(b.take(), Family::V4, Backend::Legacy, {"filter"}, "");
  EXPECT_FALSE(set.complete());
  EXPECT_NE(set.tables[0].error.find("malformed"), std::string::npos);
}

// A native rule record names a kernel rule by its handle, which is never 0:
// one that does not is not a rule anyone can read natively.
TEST(RuleStream, NativeRuleRecordWithoutAHandleIsRejected) {
  StreamBuilder b;
  b.w().begin_table("filter");
  b.w().begin_chain("INPUT", "-P INPUT ACCEPT");
  b.w().native_rule(0, "a verdict map");
  b.w().end_table();
  RuleSet set = parse_rule_stream(b.take(), Family::V4, Backend::Nft, {"filter"}, "");
  EXPECT_FALSE(set.complete());
  EXPECT_NE(set.tables[0].error.find("malformed native rule record"), std::string::npos)
      << set.tables[0].error;
}

TEST(RuleStream, EmptyStreamWithNoTablesIsComplete) {
  RuleSet set = parse_rule_stream("", Family::V6, Backend::Legacy, {}, "");
  EXPECT_TRUE(set.complete());
  EXPECT_TRUE(set.tables.empty());
  EXPECT_EQ(set.family, Family::V6);
}

TEST(RuleStream, GarbageBeforeAnyTableIsAnError) {
  RuleSet set =
      parse_rule_stream(std::string("Rjunk\0", 6), Family::V4, Backend::Legacy, {"filter"}, "");
  EXPECT_FALSE(set.complete());
  EXPECT_FALSE(set.error.empty());
}

TEST(RuleStream, SnapshotRecordGivesGenerationRepairsAndTables) {
  StreamBuilder b;
  b.w().snapshot(4294967295u, 3, {"nat", "filter"});
  b.w().begin_table("nat");
  b.w().end_table();
  const std::string text = b.take();
  std::string_view stream = text;
  auto snapshot = take_snapshot_record(stream);
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->generation, 4294967295u);
  EXPECT_EQ(snapshot->repaired_chains, 3u);
  EXPECT_EQ(snapshot->tables, (std::vector<std::string>{"nat", "filter"}));
  EXPECT_EQ(stream, std::string_view(text).substr(text.find('T')));
}

TEST(RuleStream, MalformedSnapshotRecordsAreNotTaken) {
  for (const std::string& bad :
       {std::string("S\0", 2), std::string("S12\0", 4), std::string("S4294967296 0\0", 14),
        std::string("S1 2 nat\0", 9).replace(5, 3, "bad"), std::string("S1 2  nat\0", 10),
        std::string("S1 x nat\0", 9), std::string("S1 2 nat"), std::string("Tnat\0", 5)}) {
    std::string_view stream = bad;
    EXPECT_FALSE(take_snapshot_record(stream)) << bad;
    EXPECT_EQ(stream.size(), bad.size());
  }
}

}  // namespace
}  // namespace aim
