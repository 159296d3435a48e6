#include "rules/table_names.h"

#include <gtest/gtest.h>

namespace aim {
namespace {

TEST(TableNames, ReturnsKnownTablesInCheckOrder) {
  EXPECT_EQ(parse_table_names("filter\nsecurity\nnat\nraw\nmangle\n"),
            (std::vector<std::string>{"nat", "mangle", "filter", "raw", "security"}));
}

TEST(TableNames, IgnoresUnknownAndEmpty) {
  EXPECT_EQ(parse_table_names("broute\n\nfilter"), (std::vector<std::string>{"filter"}));
  EXPECT_TRUE(parse_table_names("").empty());
}

TEST(TableNames, PathsPerFamily) {
  EXPECT_EQ(table_names_path(Family::V4), "/proc/net/ip_tables_names");
  EXPECT_EQ(table_names_path(Family::V6), "/proc/net/ip6_tables_names");
}

}  // namespace
}  // namespace aim
