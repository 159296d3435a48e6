#include "rules/child_jobs.h"

#include <unistd.h>

#include "rules/legacy_reader.h"
#include "rules/nft_command.h"
#include "rules/nft_rule_renderer.h"

extern char** environ;

namespace aim {
namespace {

std::optional<Family> family_of(const std::string& word) {
  if (word == "4") return Family::V4;
  if (word == "6") return Family::V6;
  return std::nullopt;
}

int run_job(const ChildJob& job) {
  if (job.name == "nft-command" && job.args.size() == 2)
    return nft_command_job(job.args[0], job.args[1]);
  if (job.args.empty()) return 121;
  const auto family = family_of(job.args[0]);
  if (!family) return 121;
  if (job.name == "legacy-render")
    return render_legacy_family(*family, {job.args.begin() + 1, job.args.end()});
  if (job.name == "nft-render" && job.args.size() == 1) return render_nft_family(*family);
  if (job.name == "nft-serve" && job.args.size() == 1)
    return serve_nft_family(*family, STDIN_FILENO);
  return 121;
}

}  // namespace

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

Result<ChildOutput> run_child_job(const ChildJob& job, std::chrono::milliseconds timeout,
                                  const std::function<bool()>& abort) {
  if (process_is_single_threaded())
    return run_in_child([&] { return run_job(job); }, timeout, abort);
  return run_executable(kThisProgram, job_arguments(job), this_environment(), timeout, abort);
}

std::unique_ptr<ServedChild> served_child_job(const ChildJob& job) {
  return std::make_unique<ServedChild>(kThisProgram, job_arguments(job), this_environment());
}

int child_job_main(const std::vector<std::string>& args) {
  if (args.empty()) return 121;
  const int status = run_job({args[0], {args.begin() + 1, args.end()}});
  std::fflush(stdout);
  std::fflush(stderr);
  return status;
}

}  // namespace aim
