#include "cli/go_flags.h"

#include <gtest/gtest.h>

namespace aim {
namespace {

const std::set<std::string> kNames = {"input", "events", "v", "interval"};

TEST(GoFlags, SingleDashLongFlagsBecomeDoubleDash) {
  EXPECT_EQ(normalize_go_flags({"-input=/x", "-events=true", "-interval", "60"}, kNames),
            (std::vector<std::string>{"--input=/x", "--events=true", "--interval", "60"}));
}

TEST(GoFlags, ShortVerbosityKeepsWorkingBothWays) {
  EXPECT_EQ(normalize_go_flags({"-v", "2"}, kNames), (std::vector<std::string>{"-v", "2"}));
  EXPECT_EQ(normalize_go_flags({"-v=3"}, kNames), (std::vector<std::string>{"--v=3"}));
}

TEST(GoFlags, LeavesUnknownFlagsValuesAndPassthroughAlone) {
  EXPECT_EQ(normalize_go_flags({"--input", "-x", "rules", "--", "-input=/y"}, kNames),
            (std::vector<std::string>{"--input", "-x", "rules", "--", "-input=/y"}));
}

}  // namespace
}  // namespace aim
