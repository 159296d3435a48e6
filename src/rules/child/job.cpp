#include "rules/child/job.h"

extern char** environ;

namespace aim {
namespace {

std::vector<std::string> job_arguments(const ChildJob& job) {
  std::vector<std::string> args{kChildJobFlag, job.name};
  args.insert(args.end(), job.args.begin(), job.args.end());
  return args;
}

std::vector<std::string> this_environment() {
  std::vector<std::string> environment;
  for (char** e = environ; e && *e; ++e) environment.emplace_back(*e);
  return environment;
}

// The running program's own file, even if the package replaced it since.
constexpr const char* kThisProgram = "/proc/self/exe";

}  // namespace

Result<ChildOutput> run_child_job(const ChildJob& job, ChildStart start,
                                  std::chrono::milliseconds timeout,
                                  const std::function<bool()>& abort) {
  // Fork is the caller's word that this process has one thread; a thread a
  // library left running would make a forked child hang on its locks.
  if (start == ChildStart::Fork && process_is_single_threaded())
    return run_in_child(job.body, timeout, abort);
  return run_executable(kThisProgram, job_arguments(job), this_environment(), timeout, abort);
}

std::unique_ptr<ServedChild> served_child_job(const ChildJob& job) {
  return std::make_unique<ServedChild>(kThisProgram, job_arguments(job), this_environment());
}

}  // namespace aim
