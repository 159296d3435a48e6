#pragma once
// The table of child jobs: which function a program run again with
// `--internal-child-job NAME ARGS...` (child/job.h) runs. The top of
// rules/: it knows the job of every room, and no room includes it; only
// main() and the test programs that stand in for it do.
#include <string>
#include <vector>

#include "rules/child/job.h"  // kChildJobFlag

namespace aim {

// In the child: runs the job named by `args` (what follows kChildJobFlag)
// and returns its exit status.
int child_job_main(const std::vector<std::string>& args);

}  // namespace aim
