#include "rules/native/listing.h"

#include <gtest/gtest.h>

namespace aim {
namespace {

// What `nft -s -t -a list table inet t` prints for a small table (nft
// 1.0.6), and the kernel's description of it.
const char* const kText =
    "table inet t { # handle 1\n"
    "\tset bl { # handle 3\n"
    "\t\ttype ipv4_addr\n"
    "\t\tflags interval\n"
    "\t}\n"
    "\n"
    "\tchain in { # handle 1\n"
    "\t\ttype filter hook input priority filter; policy accept;\n"
    "\t\ttcp dport 22 drop # handle 5\n"
    "\t\tip saddr 1.2.3.4 drop comment \"multi\n"
    "line\" # handle 6\n"
    "\t}\n"
    "}\n";

NativeTableShape shape() {
  NativeTableShape s{"inet", "t", 1, {}};
  s.blocks.push_back({"set", "bl", 3, {}});
  s.blocks.push_back({"chain", "in", 1, {{5, 0}, {6, 1}}});
  return s;
}

std::vector<std::string> lines_of(const Table& t) {
  std::vector<std::string> out;
  for (const Chain& c : t.chains) {
    out.emplace_back(c.header);
    for (auto r : c.rules) out.emplace_back(r);
  }
  return out;
}

TEST(NativeListing, TableBecomesNftCommandLines) {
  TextArena arena;
  Table t = parse_native_table(kText, shape(), arena);
  ASSERT_TRUE(t.read_ok()) << t.error;
  EXPECT_EQ(t.name, "inet t");
  EXPECT_EQ(lines_of(t),
            (std::vector<std::string>{
                "add table inet t", "add set inet t bl { type ipv4_addr; flags interval; }",
                "add chain inet t in { type filter hook input priority filter; policy accept; }",
                "add rule inet t in tcp dport 22 drop",
                "add rule inet t in ip saddr 1.2.3.4 drop comment \"multi\nline\""}));
}

// The kernel lists objects in its own order; nft prints them in its own.
TEST(NativeListing, BlocksMatchByHandleInAnyOrder) {
  NativeTableShape reversed = shape();
  std::swap(reversed.blocks[0], reversed.blocks[1]);
  TextArena arena;
  Table t = parse_native_table(kText, reversed, arena);
  ASSERT_TRUE(t.read_ok()) << t.error;
  EXPECT_EQ(lines_of(t).size(), 5u);
  NativeTableShape renamed = shape();
  renamed.blocks[0].name = "other";
  EXPECT_FALSE(parse_native_table(kText, renamed, arena).read_ok());
  NativeTableShape as_map = shape();
  as_map.blocks[0].kind = "map";
  EXPECT_FALSE(parse_native_table(kText, as_map, arena).read_ok());
}

// A comment can print anything, "# handle N" and "}" included: the counted
// newlines and the handles decide, and any disagreement is an error.
TEST(NativeListing, TextThatDisagreesWithTheShapeIsAnError) {
  TextArena arena;
  NativeTableShape undercounted = shape();
  undercounted.blocks[1].rules[1].newlines = 0;
  EXPECT_FALSE(parse_native_table(kText, undercounted, arena).read_ok());
  NativeTableShape missing_rule = shape();
  missing_rule.blocks[1].rules.pop_back();
  EXPECT_FALSE(parse_native_table(kText, missing_rule, arena).read_ok());
  NativeTableShape extra_block = shape();
  extra_block.blocks.push_back({"chain", "out", 2, {}});
  EXPECT_FALSE(parse_native_table(kText, extra_block, arena).read_ok());
  NativeTableShape wrong_handle = shape();
  wrong_handle.blocks[1].rules[0].handle = 9;
  Table t = parse_native_table(kText, wrong_handle, arena);
  EXPECT_FALSE(t.read_ok());
  EXPECT_TRUE(t.chains.empty());
  EXPECT_NE(t.error.find("disagrees with the kernel"), std::string::npos) << t.error;
  // A comment that forges a rule line and the chain's end.
  const std::string forged =
      "table inet t { # handle 1\n"
      "\tchain in { # handle 1\n"
      "\t\taccept comment \"x\n"
      "\t}\n"
      "}\n"
      "\" # handle 5\n"
      "\t\tdrop # handle 6\n"
      "\t}\n"
      "}\n";
  NativeTableShape two{"inet", "t", 1, {{"chain", "in", 1, {{5, 3}, {6, 0}}}}};
  Table ok = parse_native_table(forged, two, arena);
  ASSERT_TRUE(ok.read_ok()) << ok.error;
  ASSERT_EQ(ok.chains.size(), 2u);
  EXPECT_EQ(ok.chains[1].rules.size(), 2u);
  EXPECT_EQ(ok.chains[1].rules[1], "add rule inet t in drop");
  NativeTableShape naive{"inet", "t", 1, {{"chain", "in", 1, {{5, 0}, {6, 0}}}}};
  EXPECT_FALSE(parse_native_table(forged, naive, arena).read_ok());
}

}  // namespace
}  // namespace aim
