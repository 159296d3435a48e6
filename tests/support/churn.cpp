#include "churn.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "netns.h"

namespace aim::test {

RestoreChurn::RestoreChurn(const std::string& restore, const std::string& a, const std::string& b,
                           const std::string& pause) {
  char dir[] = "/tmp/aim-churn-XXXXXX";
  if (!mkdtemp(dir)) {
    error_ = "mkdtemp failed";
    return;
  }
  dir_ = dir;
  std::ofstream(dir_ + "/a") << a;
  std::ofstream(dir_ + "/b") << b;
  const std::string pause_cmd = pause.empty() ? std::string() : "sleep " + pause + "; ";
  // "started" appears once restores are under way; a failed restore ends the
  // loop with a non-zero status.
  const std::string loop = "set -e; i=0; while [ $i -lt 200 ] && [ ! -e " + dir_ + "/stop ]; do " +
                           restore + " < " + dir_ + "/a; touch " + dir_ + "/started; " + pause_cmd +
                           restore + " < " + dir_ + "/b; " + pause_cmd + "i=$((i+1)); done";
  pid_ = fork();
  if (pid_ < 0) {
    error_ = "fork failed";
    return;
  }
  if (pid_ == 0) {
    execl("/bin/sh", "sh", "-c", loop.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
}

RestoreChurn::~RestoreChurn() {
  stop();
  if (!dir_.empty()) run("rm -rf " + quote(dir_));
}

bool RestoreChurn::started() const { return access((dir_ + "/started").c_str(), F_OK) == 0; }

bool RestoreChurn::running() {
  if (pid_ > 0 && !ended_ && waitpid(pid_, &status_, WNOHANG) == pid_) ended_ = true;
  return pid_ > 0 && !ended_;
}

bool RestoreChurn::stop() {
  if (pid_ <= 0) return false;
  std::ofstream(dir_ + "/stop").flush();
  if (!ended_ && waitpid(pid_, &status_, 0) == pid_) ended_ = true;
  return ended_ && WIFEXITED(status_) && WEXITSTATUS(status_) == 0;
}

}  // namespace aim::test
