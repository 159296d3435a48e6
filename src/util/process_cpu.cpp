#include "util/process_cpu.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>

#include "util/fd.h"

namespace aim {
namespace {

double seconds_of(const rusage& u) {
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// utime + stime + cutime + cstime of `pid`, in seconds; 0 when it is gone.
double stat_cpu_seconds(const std::string& pid) {
  auto stat = read_file("/proc/" + pid + "/stat", 4096);
  if (!stat) return 0;
  // The command name may hold anything, ")" included: fields follow the last.
  const size_t close = stat->rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat->substr(close + 1));
  std::string field;
  long long ticks = 0;
  for (int n = 3; n <= 17 && fields >> field; ++n)
    if (n >= 14) ticks += std::atoll(field.c_str());
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

double process_tree_cpu_seconds() {
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  double total = seconds_of(self) + seconds_of(children);
  // Each thread's living children (the service's threads are few).
  const std::unique_ptr<DIR, int (*)(DIR*)> tasks(opendir("/proc/self/task"), closedir);
  if (!tasks) return total;
  while (dirent* task = readdir(tasks.get())) {
    if (task->d_name[0] == '.') continue;
    auto list = read_file(std::string("/proc/self/task/") + task->d_name + "/children", 64 * 1024);
    if (!list) continue;
    std::istringstream pids(*list);
    for (std::string pid; pids >> pid;) total += stat_cpu_seconds(pid);
  }
  return total;
}

}  // namespace aim
