// The test programs' main: GoogleTest's, except when a reader starts this
// program again as its helper (--internal-child-job), as the service's
// readers do with the real program.
#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "rules/jobs/child_jobs.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == aim::kChildJobFlag)
    return aim::child_job_main(std::vector<std::string>(argv + 2, argv + argc));
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
