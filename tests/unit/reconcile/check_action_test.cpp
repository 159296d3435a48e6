#include "check/check_action.h"

#include <gtest/gtest.h>

namespace aim {
namespace {

// A check that threw is unknown, never clean: fail closed.
TEST(FailedCheck, IsUnknownAndCarriesTheExceptionsText) {
  const CheckRun run = failed_check("std::bad_alloc");
  EXPECT_EQ(run.report.verdict, Verdict::Unknown);
  ASSERT_EQ(run.report.errors.size(), 1u);
  EXPECT_NE(run.report.errors.front().find("std::bad_alloc"), std::string::npos);
  EXPECT_TRUE(run.report.unexpected.empty());
}

}  // namespace
}  // namespace aim
