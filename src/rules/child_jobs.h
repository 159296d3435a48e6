#pragma once
// The readers' rendering children, described by words (a job name and its
// arguments) so that they can be started either way: forked, when this
// process has one thread (the commands), or by running this program again
// (the service, whose other threads may hold locks a forked child would
// inherit and hang on).
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rules/child_process.h"
#include "rules/served_child.h"

namespace aim {

// argv[1] of a program run as a child job.
inline constexpr const char* kChildJobFlag = "--internal-child-job";

struct ChildJob {
  std::string name;  // "legacy-render", "nft-render", "nft-serve" or "nft-command"
  std::vector<std::string> args;
};

Result<ChildOutput> run_child_job(const ChildJob& job, std::chrono::milliseconds timeout,
                                  const std::function<bool()>& abort = {});
// The long-lived helper running `job` ("nft-serve"), by running this
// program again (served_child.h).
std::unique_ptr<ServedChild> served_child_job(const ChildJob& job);

// In the child: runs the job named by `args` (what follows kChildJobFlag)
// and returns its exit status.
int child_job_main(const std::vector<std::string>& args);

}  // namespace aim
