#pragma once
// The readers' rendering children, described by words (a job name and its
// arguments) so that they can be started either way: forked, when this
// process has one thread (the commands), or by running this program again
// (the service, whose other threads may hold locks a forked child would
// inherit and hang on); the caller chooses. Which function runs a job in a
// program run again is decided in jobs/child_jobs.h, above every room that
// has a job; its exit status is a ChildExit.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rules/child/process.h"
#include "rules/child/served_child.h"

namespace aim {

// argv[1] of a program run as a child job.
inline constexpr const char* kChildJobFlag = "--internal-child-job";

struct ChildJob {
  std::string name;  // "legacy-render", "nft-render", "nft-serve" or "nft-command"
  std::vector<std::string> args;
  // What a forked child runs: the same as the program run again runs for
  // `name` and `args` (jobs/child_jobs.cpp). The caller, which knows the
  // job, supplies it, so that this room knows no room that has a job.
  std::function<int()> body;
};

// Runs `job` to its end: forked (its body) or spawned (this program run
// again), as `start` says; fork only in a process with one thread
// (child/process.h).
Result<ChildOutput> run_child_job(const ChildJob& job, ChildStart start,
                                  std::chrono::milliseconds timeout,
                                  const std::function<bool()>& abort = {});
// The long-lived helper running `job` ("nft-serve"), by running this
// program again (served_child.h).
std::unique_ptr<ServedChild> served_child_job(const ChildJob& job);

}  // namespace aim
