// The project's own PCRE2 limits (issue 26): PCRE2's defaults (10,000,000
// match steps and depth) would let one pattern spend seconds on every rule,
// so each limit is held to a subject that needs more than the project allows
// but less than PCRE2's default: with the limit gone the search completes
// (and says no match) instead of giving up. The heap limit cannot be reached
// behind the depth limit (see tests/mutation/mutants.txt).
#include "allowlist/pattern.h"

#include <gtest/gtest.h>

#include <string>

namespace aim {
namespace {

MatchResult search(const std::string& go, const std::string& subject, bool jit) {
  auto p = Pattern::compile(go, {"test", 1}, PatternOptions{.jit = jit});
  if (!std::holds_alternative<Pattern>(p)) {
    ADD_FAILURE() << go << " does not compile";
    return MatchResult::Match;
  }
  return std::get<Pattern>(p).search(subject);
}

std::string repeat(const std::string& unit, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += unit;
  return out;
}

// ~1,000,000 backtracking steps: over the project's 200,000, under PCRE2's
// default; the JIT counts its own steps against the same limit.
TEST(Pattern, MatchLimitStopsBacktrackingLongBeforePcre2Would) {
  const std::string subject = repeat("a", 20) + "!";
  for (bool jit : {true, false})
    EXPECT_EQ(search("^(a+)+$", subject, jit), MatchResult::LimitHit) << "JIT " << jit;
}

// The interpreter keeps a backtracking frame for every repetition of the
// group: 4,000 repetitions nest past the project's depth limit of 5,000 in
// few steps (the JIT has no depth limit: its stack is bounded instead).
TEST(Pattern, DepthLimitStopsDeepRecursion) {
  EXPECT_EQ(search("^(a|b)*c$", repeat("ab", 2000) + "cx", false), MatchResult::LimitHit);
}

// Within the limits the same patterns decide normally.
TEST(Pattern, SubjectsWithinTheLimitsAreDecided) {
  for (bool jit : {true, false}) {
    EXPECT_EQ(search("^(a+)+$", repeat("a", 10) + "!", jit), MatchResult::NoMatch);
    EXPECT_EQ(search("^(a|b)*c$", repeat("ab", 100) + "c", jit), MatchResult::Match);
  }
}

}  // namespace
}  // namespace aim
