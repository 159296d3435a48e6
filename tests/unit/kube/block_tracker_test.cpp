#include "bpf/block_counter.h"

#include <gtest/gtest.h>

namespace aim {
namespace {

TEST(BlockTracker, FirstReadingIsTheBaseline) {
  BlockTracker t;
  EXPECT_EQ(t.observe(uint64_t{41}).new_blocks, 0u) << "no event for blocks before a restart";
  EXPECT_EQ(t.observe(uint64_t{41}).new_blocks, 0u);
  EXPECT_EQ(t.observe(uint64_t{44}).new_blocks, 3u);
  EXPECT_EQ(t.observe(uint64_t{44}).new_blocks, 0u);
}

TEST(BlockTracker, FailedReadingKeepsTheBaselineAndLogsOnce) {
  BlockTracker t;
  t.observe(uint64_t{10});
  auto a = t.observe(Result<uint64_t>(Error{"map gone"}));
  EXPECT_EQ(a.log_error, "map gone");
  auto b = t.observe(Result<uint64_t>(Error{"map gone"}));
  EXPECT_EQ(b.log_error, "") << "the same problem is not logged every cycle";
  auto c = t.observe(Result<uint64_t>(Error{"permission denied"}));
  EXPECT_EQ(c.log_error, "permission denied") << "a different problem is";
  auto d = t.observe(uint64_t{12});
  EXPECT_TRUE(d.recovered);
  EXPECT_EQ(d.new_blocks, 2u) << "counted from the last good reading";
}

TEST(BlockTracker, RecreatedMapStartsANewBaseline) {
  BlockTracker t;
  t.observe(uint64_t{100});
  EXPECT_EQ(t.observe(uint64_t{3}).new_blocks, 0u);
  EXPECT_EQ(t.observe(uint64_t{5}).new_blocks, 2u);
}

TEST(BlockTracker, MissingFromTheStartNeverReportsUntilABaselineExists) {
  BlockTracker t;
  EXPECT_FALSE(t.observe(Result<uint64_t>(Error{"no map"})).log_error.empty());
  EXPECT_EQ(t.observe(uint64_t{7}).new_blocks, 0u);
}

}  // namespace
}  // namespace aim
