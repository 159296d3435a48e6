// The x_tables change trigger's decision (issue 26: it had no test): a table
// whose size changed, appeared or went away starts a check; one that did not
// change does not.
#include "rules/changes/xt_sizes.h"

#include <gtest/gtest.h>

namespace aim {
namespace {

using Tables = std::vector<std::string>;

TEST(RuleChanges, UnchangedTablesAreNoChange) {
  const XtTableSizes sizes{{"ipv4 filter", {4, 1000}}, {"ipv4 nat", {5, 1200}}};
  EXPECT_EQ(changed_tables(sizes, sizes), Tables{});
}

TEST(RuleChanges, EntriesOrBytesChangedAreAChange) {
  const XtTableSizes before{{"ipv4 filter", {4, 1000}}, {"ipv4 nat", {5, 1200}}};
  EXPECT_EQ(changed_tables(before, {{"ipv4 filter", {5, 1000}}, {"ipv4 nat", {5, 1200}}}),
            Tables{"ipv4 filter"});
  EXPECT_EQ(changed_tables(before, {{"ipv4 filter", {4, 1000}}, {"ipv4 nat", {5, 1300}}}),
            Tables{"ipv4 nat"});
}

TEST(RuleChanges, TablesAddedOrRemovedAreAChange) {
  const XtTableSizes before{{"ipv4 filter", {4, 1000}}};
  EXPECT_EQ(changed_tables(before, {{"ipv4 filter", {4, 1000}}, {"ipv4 raw", {3, 600}}}),
            Tables{"ipv4 raw"});
  EXPECT_EQ(changed_tables(before, {}), Tables{"ipv4 filter"});
  // An unreadable table (0, 0) becoming readable again.
  EXPECT_EQ(changed_tables({{"ipv4 filter", {0, 0}}}, before), Tables{"ipv4 filter"});
}

}  // namespace
}  // namespace aim
