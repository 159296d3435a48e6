#include "rules/legacy/kept_tables.h"

#include <gtest/gtest.h>

#include "rules/child/rule_stream.h"

namespace aim {
namespace {

const XtDigest kOne{1, 2};
const XtDigest kTwo{3, 4};

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
  std::string stream = format_table_mark({"nat", kOne, true}) +
                       format_table_mark({"filter", kTwo, false}) + "Tfilter";
  stream.push_back('\0');
  std::string_view view = stream;
  auto marks = take_table_marks(view);
  ASSERT_TRUE(marks);
  ASSERT_EQ(marks->size(), 2u);
  EXPECT_EQ((*marks)[0].table, "nat");
  EXPECT_EQ((*marks)[0].digest, kOne);
  EXPECT_TRUE((*marks)[0].unchanged);
  EXPECT_EQ((*marks)[1].digest, kTwo);
  EXPECT_FALSE((*marks)[1].unchanged);
  EXPECT_EQ(view, std::string_view("Tfilter\0", 8));

  for (std::string bad :
       {std::string("Fnat 00\0", 8), format_table_mark({"nat", kOne, true}).substr(0, 20),
        std::string("Fnot-a-table 0000000000000000000000000000000000 k") + '\0',
        format_table_mark({"nat", kOne, true}) + format_table_mark({"nat", kTwo, false})}) {
    std::string_view v = bad;
    EXPECT_FALSE(take_table_marks(v)) << bad;
    EXPECT_EQ(v.size(), bad.size()) << "a malformed mark leaves the stream as it was";
  }
}

TEST(LegacyTableArgs, AKeptFingerprintRoundTripsAndAMalformedOneIsNone) {
  const LegacyTableArg arg = parse_table_arg(format_table_arg({"nat", kTwo}));
  EXPECT_EQ(arg.table, "nat");
  EXPECT_EQ(arg.kept, kTwo);
  EXPECT_EQ(format_table_arg({"filter", std::nullopt}), "filter");
  EXPECT_FALSE(parse_table_arg("filter").kept);
  EXPECT_FALSE(parse_table_arg("filter=xyz").kept);
  EXPECT_EQ(parse_table_arg("filter=xyz").table, "filter");
}

TEST(KeptLegacyTables, KeepsWhatWasReadWholeAndReusesItOnlyWithTheSameFingerprint) {
  KeptLegacyTables kept;
  const std::vector<std::string> tables{"nat", "filter"};
  EXPECT_EQ(kept.job_args(tables), tables) << "nothing kept: every table is rendered";
  RuleSet first = kept.complete(tables, {{"nat", kOne, false}, {"filter", kTwo, false}},
                                rendered_set(tables, "-j ACCEPT"));
  ASSERT_TRUE(first.complete());
  EXPECT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept.job_args(tables), (std::vector<std::string>{"nat=" + xt_digest_hex(kOne),
                                                             "filter=" + xt_digest_hex(kTwo)}));

  // nat unchanged, filter moved: nat's text is the kept one, filter's new.
  const std::vector<LegacyTableMark> marks{{"nat", kOne, true}, {"filter", kOne, false}};
  EXPECT_EQ(KeptLegacyTables::rendered(tables, marks), std::vector<std::string>{"filter"});
  RuleSet second = kept.complete(tables, marks, rendered_set({"filter"}, "-j DROP"));
  first = RuleSet{};  // the kept text must outlive the set it came in
  ASSERT_TRUE(second.complete());
  ASSERT_EQ(second.tables.size(), 2u);
  EXPECT_EQ(second.tables[0].name, "nat");
  EXPECT_EQ(second.tables[0].chains[0].rules[0], "-A INPUT -j ACCEPT");
  EXPECT_EQ(second.tables[1].chains[0].rules[0], "-A INPUT -j DROP");
  EXPECT_EQ(kept.job_args(tables)[1], "filter=" + xt_digest_hex(kOne));

  // A child claiming a table unchanged with a fingerprint not kept: an error.
  RuleSet third =
      kept.complete(tables, {{"nat", kTwo, true}, {"filter", kOne, true}}, rendered_set({}, ""));
  EXPECT_FALSE(third.complete());
  EXPECT_FALSE(third.tables[0].read_ok());
  EXPECT_TRUE(third.tables[1].read_ok());
  EXPECT_EQ(kept.size(), 1u) << "the table not vouched for is forgotten";
}

TEST(KeptLegacyTables, ErrorsAndVanishedTablesAreForgotten) {
  KeptLegacyTables kept;
  const std::vector<std::string> tables{"nat", "filter"};
  kept.complete(tables, {{"nat", kOne, false}, {"filter", kTwo, false}},
                rendered_set(tables, "-j ACCEPT"));
  ASSERT_EQ(kept.size(), 2u);
  // filter is gone; nat renders with an error.
  std::string stream = std::string("Tnat") + '\0' + "Ecannot render" + '\0';
  RuleSet set = kept.complete({"nat"}, {{"nat", kOne, false}},
                              parse_rule_stream(stream, Family::V4, Backend::Legacy, {"nat"}, ""));
  EXPECT_FALSE(set.complete());
  EXPECT_EQ(kept.size(), 0u);
  EXPECT_EQ(kept.job_args(tables), tables);

  // A set-level error forgets everything, even tables that read whole.
  kept.complete(tables, {{"nat", kOne, false}, {"filter", kTwo, false}},
                rendered_set(tables, "-j ACCEPT"));
  RuleSet broken = rendered_set(tables, "-j ACCEPT");
  broken.error = "malformed rule stream";
  kept.complete(tables, {{"nat", kOne, false}, {"filter", kTwo, false}}, std::move(broken));
  EXPECT_EQ(kept.size(), 0u);
  // A table without a mark (the child could not fingerprint it) is not kept.
  kept.complete(tables, {{"nat", kOne, false}}, rendered_set(tables, "-j ACCEPT"));
  EXPECT_EQ(kept.job_args(tables),
            (std::vector<std::string>{"nat=" + xt_digest_hex(kOne), "filter"}));
  kept.forget();
  EXPECT_EQ(kept.job_args(tables), tables);
}

}  // namespace
}  // namespace aim
