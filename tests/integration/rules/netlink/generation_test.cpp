// The one consistent-read primitive (rules/netlink/generation.h) against the
// real kernel, in a private network namespace: a read a commit ran across is
// read again, never returned; a read asking to be read again is; after the
// last attempt the caller gets an error (EAGAIN), never a partial state.
#include "rules/netlink/generation.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "netns.h"
#include "require.h"

namespace aim {
namespace {

using test::run;

class GenerationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = test::enter_fresh_netns_with_nft("to commit");
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
  }
  // One commit: a table of its own, so that each call moves the generation.
  static void commit() {
    static int n = 0;
    ASSERT_EQ(run("nft add table ip gen_test_" + std::to_string(++n)).status, 0);
  }
};

TEST_F(GenerationTest, EveryCommitMovesTheGenerationAndASettledOneIsCurrent) {
  auto netlink = NftNetlink::open();
  ASSERT_TRUE(netlink) << netlink.error();
  auto before = generation(*netlink);
  ASSERT_TRUE(before) << before.error();
  auto settled = settled_generation(*netlink);
  ASSERT_TRUE(settled) << settled.error();
  EXPECT_EQ(*settled, *before) << "nothing committed in between";
  commit();
  auto after = generation(*netlink);
  ASSERT_TRUE(after) << after.error();
  EXPECT_NE(*after, *before);
}

TEST_F(GenerationTest, AQuietReadIsReadOnce) {
  int reads = 0;
  auto got = read_at_stable_generation<int>(3, [&]() -> StableRead<int> { return ++reads; });
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(*got, 1);
  EXPECT_EQ(reads, 1);
}

TEST_F(GenerationTest, AReadACommitRanAcrossIsReadAgain) {
  int reads = 0;
  auto got = read_at_stable_generation<int>(3, [&]() -> StableRead<int> {
    if (++reads == 1) commit();
    return reads;
  });
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(*got, 2) << "the first read saw a commit: its result must not be returned";
  EXPECT_EQ(reads, 2);
}

TEST_F(GenerationTest, AReadThatAsksIsReadAgain) {
  int reads = 0;
  auto got = read_at_stable_generation<int>(3, [&]() -> StableRead<int> {
    if (++reads == 1) return ReadAgain{"a dump was interrupted"};
    return reads;
  });
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(*got, 2);
}

TEST_F(GenerationTest, ChangingThroughEveryAttemptIsAnErrorNamingTheLastChange) {
  int reads = 0;
  auto got = read_at_stable_generation<int>(3, [&]() -> StableRead<int> {
    commit();
    return ++reads;
  });
  ASSERT_FALSE(got) << "a read across a commit was returned";
  EXPECT_EQ(got.error_code(), EAGAIN);
  EXPECT_NE(got.error().find("changed during each of 3 reads"), std::string::npos) << got.error();
  EXPECT_NE(got.error().find("generation "), std::string::npos) << got.error();
  EXPECT_EQ(reads, 3);
}

TEST_F(GenerationTest, AskingThroughEveryAttemptIsAnErrorSayingWhy) {
  auto got = read_at_stable_generation<int>(
      2, [&]() -> StableRead<int> { return ReadAgain{"a dump was interrupted"}; });
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error_code(), EAGAIN);
  EXPECT_NE(got.error().find("a dump was interrupted"), std::string::npos) << got.error();
}

TEST_F(GenerationTest, AnErrorReadAtOneGenerationIsTheAnswer) {
  int reads = 0;
  auto got = read_at_stable_generation<Result<int>>(3, [&]() -> StableRead<Result<int>> {
    ++reads;
    return Result<int>(Error{"chain gone", ENOENT});
  });
  ASSERT_TRUE(got) << got.error();
  EXPECT_FALSE(*got);
  EXPECT_EQ(reads, 1) << "an error seen at one generation is not read again";
}

}  // namespace
}  // namespace aim
