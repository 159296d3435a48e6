#include "rules/legacy/kept_tables.h"

#include <gtest/gtest.h>

#include "rules/child/rule_stream.h"

namespace aim {
namespace {

const XtDigest kOne{1, 2};
const XtDigest kTwo{3, 4};
const XtDigest kRendered{5, 6};

// What the child's stream would give for `tables` rendered, each with one
// chain holding `rule`.
RuleSet rendered_set(const std::vector<std::string>& tables, const std::string& rule) {
  std::string stream;
  auto record = [&](char type, const std::string& payload) {
    stream += type;
    stream += payload;
    stream += '\0';
  };
  for (const std::string& t : tables) {
    record('T', t);
    record('C', "INPUT");
    record('H', "-P INPUT ACCEPT");
    record('R', "-A INPUT " + rule);
    record('D', "");
  }
  return parse_rule_stream(stream, Family::V4, Backend::Legacy, tables, "");
}

TEST(LegacyTableMarks, RoundTripAndRejectMalformed) {
  std::string stream =
      format_table_mark({"nat", kOne}) + format_table_mark({"filter", kTwo}) + "Tfilter";
  stream.push_back('\0');
  std::string_view view = stream;
  auto marks = take_table_marks(view);
  ASSERT_TRUE(marks);
  ASSERT_EQ(marks->size(), 2u);
  EXPECT_EQ((*marks)[0].table, "nat");
  EXPECT_EQ((*marks)[0].digest, kOne);
  EXPECT_EQ((*marks)[1].digest, kTwo);
  EXPECT_EQ(view, std::string_view("Tfilter\0", 8));

  for (std::string bad :
       {std::string("Fnat 00\0", 8), format_table_mark({"nat", kOne}).substr(0, 20),
        std::string("Fnot-a-table 00000000000000000000000000000000") + '\0',
        format_table_mark({"nat", kOne}) + format_table_mark({"nat", kTwo})}) {
    std::string_view v = bad;
    EXPECT_FALSE(take_table_marks(v)) << bad;
    EXPECT_EQ(v.size(), bad.size()) << "a malformed mark leaves the stream as it was";
  }
}

TEST(KeptLegacyTables, ReusesATableOnlyWhileItsEntriesDigestIsTheKeptOne) {
  KeptLegacyTables kept;
  const std::vector<std::string> tables{"nat", "filter"};
  std::vector<LegacyTableCopy> copies{{"nat", kOne, kRendered}, {"filter", kTwo, kRendered}};
  EXPECT_EQ(kept.to_render(copies), tables) << "nothing kept: every table is rendered";
  RuleSet first = kept.complete(copies, {{"nat", kRendered}, {"filter", kRendered}},
                                rendered_set(tables, "-j ACCEPT"));
  ASSERT_TRUE(first.complete());
  EXPECT_EQ(kept.size(), 2u);

  // nat unchanged, filter's entries moved: nat's text is the kept one.
  copies[1].entries = kOne;
  EXPECT_EQ(kept.to_render(copies), std::vector<std::string>{"filter"});
  RuleSet second =
      kept.complete(copies, {{"filter", kRendered}}, rendered_set({"filter"}, "-j DROP"));
  first = RuleSet{};  // the kept text must outlive the set it came in
  ASSERT_TRUE(second.complete());
  ASSERT_EQ(second.tables.size(), 2u);
  EXPECT_EQ(second.tables[0].name, "nat");
  EXPECT_EQ(second.tables[0].chains[0].rules[0], "-A INPUT -j ACCEPT");
  EXPECT_EQ(second.tables[1].chains[0].rules[0], "-A INPUT -j DROP");
  EXPECT_EQ(second.stats.notes.size(), 1u);

  // A table whose entries could not be copied is rendered, not reused
  // (filter, rendered and kept under its new digest, is).
  copies[0].entries.reset();
  EXPECT_EQ(kept.to_render(copies), std::vector<std::string>{"nat"});
}

TEST(KeptLegacyTables, KeepsARenderingOnlyWhenTheChildRenderedWhatWasCopied) {
  KeptLegacyTables kept;
  const std::vector<std::string> tables{"nat", "filter"};
  const std::vector<LegacyTableCopy> copies{{"nat", kOne, kRendered},
                                            {"filter", kTwo, std::nullopt}};
  // nat: the child's digest differs (the table changed between the copies);
  // filter: the parent's walk could not vouch. Neither is kept.
  RuleSet set = kept.complete(copies, {{"nat", kTwo}, {"filter", kRendered}},
                              rendered_set(tables, "-j ACCEPT"));
  EXPECT_TRUE(set.complete()) << "what the child rendered is still a whole read";
  EXPECT_EQ(kept.size(), 0u);
  EXPECT_EQ(kept.to_render(copies), tables);
  // No mark at all: not kept either.
  kept.complete(copies, {}, rendered_set(tables, "-j ACCEPT"));
  EXPECT_EQ(kept.size(), 0u);
}

TEST(KeptLegacyTables, ErrorsAndVanishedTablesAreForgotten) {
  KeptLegacyTables kept;
  const std::vector<std::string> tables{"nat", "filter"};
  const std::vector<LegacyTableCopy> copies{{"nat", kOne, kRendered}, {"filter", kTwo, kRendered}};
  const std::vector<LegacyTableMark> marks{{"nat", kRendered}, {"filter", kRendered}};
  kept.complete(copies, marks, rendered_set(tables, "-j ACCEPT"));
  ASSERT_EQ(kept.size(), 2u);
  // filter is gone; nat moved and renders with an error.
  std::string stream = std::string("Tnat") + '\0' + "Ecannot render" + '\0';
  RuleSet set = kept.complete({{"nat", kTwo, kRendered}}, marks,
                              parse_rule_stream(stream, Family::V4, Backend::Legacy, {"nat"}, ""));
  EXPECT_FALSE(set.complete());
  EXPECT_EQ(kept.size(), 0u);

  // A set-level error forgets everything, even tables that read whole.
  kept.complete(copies, marks, rendered_set(tables, "-j ACCEPT"));
  RuleSet broken = rendered_set(tables, "-j ACCEPT");
  broken.error = "malformed rule stream";
  kept.complete(copies, marks, std::move(broken));
  EXPECT_EQ(kept.size(), 0u);
  kept.complete(copies, marks, rendered_set(tables, "-j ACCEPT"));
  kept.forget();
  EXPECT_EQ(kept.to_render(copies), tables);
  // A table the child was to render but did not: an error, never kept text.
  kept.complete(copies, marks, rendered_set(tables, "-j ACCEPT"));
  RuleSet missing = kept.complete({{"nat", kTwo, kRendered}, {"filter", kTwo, kRendered}}, {},
                                  rendered_set({"filter"}, "-j ACCEPT"));
  EXPECT_FALSE(missing.tables[0].read_ok());
}

}  // namespace
}  // namespace aim
