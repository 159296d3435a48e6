#include "rules/jobs/child_jobs.h"

#include <unistd.h>

#include <cstdio>
#include <optional>

#include "rules/child/job.h"
#include "rules/child/nft_command.h"
#include "rules/legacy/reader.h"
#include "rules/nft/helper.h"
#include "rules/ruleset.h"

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
  if (job.args.empty()) return exit_code(ChildExit::UnknownJob);
  const auto family = family_of(job.args[0]);
  if (!family) return exit_code(ChildExit::UnknownJob);
  if (job.name == "legacy-render")
    return render_legacy_family(*family, {job.args.begin() + 1, job.args.end()});
  if (job.name == "nft-render" && job.args.size() == 1) return render_nft_family(*family);
  if (job.name == "nft-serve" && job.args.size() == 1)
    return serve_nft_family(*family, STDIN_FILENO);
  return exit_code(ChildExit::UnknownJob);
}

}  // namespace

int child_job_main(const std::vector<std::string>& args) {
  if (args.empty()) return exit_code(ChildExit::UnknownJob);
  const int status = run_job({args[0], {args.begin() + 1, args.end()}, {}});
  std::fflush(stdout);
  std::fflush(stderr);
  return status;
}

}  // namespace aim
