#include "rules/child/process.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>

#include "util/fd.h"

namespace aim {

std::string child_said(std::string stderr_text, std::size_t limit) {
  while (!stderr_text.empty() && (stderr_text.back() == '\n' || stderr_text.back() == ' '))
    stderr_text.pop_back();
  if (stderr_text.size() > limit) stderr_text = stderr_text.substr(0, limit) + "...";
  return stderr_text;
}

std::string ChildOutput::failure_text(std::size_t stderr_limit) const {
  std::string text = failure;
  const std::string said = child_said(stderr_text, stderr_limit);
  if (!said.empty()) text += (text.empty() ? "" : ": ") + said;
  return text;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigdescr_np(WTERMSIG(status));
    return "killed by signal " + std::to_string(WTERMSIG(status)) +
           (name ? std::string(" (") + name + ")" : "");
  }
  return "ended with wait status " + std::to_string(status);
}

namespace {

// Waits for `pid` (killed after `timeout` or when `abort` says so) and
// collects what it wrote to `out` and `err`.
Result<ChildOutput> collect(pid_t pid, int out, int err, std::chrono::milliseconds timeout,
                            const std::function<bool()>& abort) {
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  int status = 0;
  bool timed_out = false, aborted = false;
  if (pidfd.valid()) {
    const WaitEnd end = wait_readable(pidfd.get(), timeout, abort);
    timed_out = end == WaitEnd::TimedOut;
    aborted = end == WaitEnd::Aborted;
    if (timed_out || aborted) kill(pid, SIGKILL);
  }
  struct rusage usage {};
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) return Error{std::string("waitpid failed: ") + std::strerror(errno)};
  }

  ChildOutput result;
  result.peak_rss_kib = usage.ru_maxrss;
  auto out_map = map_whole_file(out);
  auto err_text = read_all_from_start(err);
  if (!out_map) return Error{"reading child output: " + out_map.error()};
  result.stdout_map = std::move(*out_map);
  result.stderr_text = err_text ? std::move(*err_text) : std::string();
  if (timed_out)
    result.failure = "timed out after " + std::to_string(timeout.count() / 1000) + " s";
  else if (aborted)
    result.failure = "abandoned (stopping)";
  else if (status != 0)
    result.failure = describe_wait_status(status);
  result.exit_status = timed_out || aborted || !WIFEXITED(status) ? -1 : WEXITSTATUS(status);
  return result;
}

// Where a child's stdout and stderr go.
Result<std::pair<UniqueFd, UniqueFd>> output_files() {
  auto out = make_memfd("aim-child-stdout");
  if (!out) return Error{out.error()};
  auto err = make_memfd("aim-child-stderr");
  if (!err) return Error{err.error()};
  return std::pair<UniqueFd, UniqueFd>(std::move(*out), std::move(*err));
}

}  // namespace

WaitEnd wait_readable(int fd, std::chrono::milliseconds timeout,
                      const std::function<bool()>& abort) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return WaitEnd::TimedOut;
    if (abort && abort()) return WaitEnd::Aborted;
    const int r = poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 200)));
    if (r > 0) return WaitEnd::Ready;
    if (r < 0 && errno != EINTR) return WaitEnd::Failed;
  }
}

bool process_is_single_threaded() {
  auto status = read_file("/proc/self/status", 64 * 1024);
  if (!status) return false;
  const size_t at = status->find("\nThreads:");
  if (at == std::string::npos) return false;
  return std::strtol(status->c_str() + at + 9, nullptr, 10) == 1;
}

Result<ChildOutput> run_in_child(const std::function<int()>& body,
                                 std::chrono::milliseconds timeout,
                                 const std::function<bool()>& abort, std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  auto fds = output_files();
  if (!fds) return Error{fds.error()};
  auto& [out, err] = *fds;

  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) return Error{std::string("fork failed: ") + std::strerror(errno)};
  if (pid == 0) {
    // Child: no return into the caller, no atexit handlers of the parent.
    if (dup2(out.get(), STDOUT_FILENO) < 0 || dup2(err.get(), STDERR_FILENO) < 0)
      _exit(exit_code(ChildExit::NoOutput));
    // Nothing of the parent's but stdio and what the body was given.
    unsigned from = 3;
    for (int fd : keep) {
      if (fd < static_cast<int>(from)) continue;
      if (static_cast<unsigned>(fd) > from && close_range(from, fd - 1, 0) != 0)
        _exit(exit_code(ChildExit::NoOutput));
      from = static_cast<unsigned>(fd) + 1;
    }
    if (close_range(from, ~0U, 0) != 0) _exit(exit_code(ChildExit::NoOutput));
    int status = body();
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(status);
  }
  return collect(pid, out.get(), err.get(), timeout, abort);
}

Result<ChildOutput> run_executable(const std::string& path, const std::vector<std::string>& args,
                                   const std::vector<std::string>& environment,
                                   std::chrono::milliseconds timeout,
                                   const std::function<bool()>& abort) {
  auto fds = output_files();
  if (!fds) return Error{fds.error()};
  auto& [out, err] = *fds;
  auto pid = spawn_with_only_stdio(path, args, environment, {-1, out.get(), err.get()});
  if (!pid) return Error{pid.error(), pid.error_code()};
  return collect(*pid, out.get(), err.get(), timeout, abort);
}

Result<pid_t> spawn_with_only_stdio(const std::string& path, const std::vector<std::string>& args,
                                    const std::vector<std::string>& environment,
                                    std::array<int, 3> stdio) {
  std::vector<char*> argv{const_cast<char*>(path.c_str())};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : environment) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  if (const int r = posix_spawn_file_actions_init(&actions); r != 0)
    return Error{"cannot run " + path + ": " + std::strerror(r), r};
  // Released on every path out of here.
  std::unique_ptr<posix_spawn_file_actions_t, int (*)(posix_spawn_file_actions_t*)> owner(
      &actions, posix_spawn_file_actions_destroy);
  int r = 0;
  for (int target = 0; target < 3 && r == 0; ++target)
    if (stdio[target] >= 0) r = posix_spawn_file_actions_adddup2(&actions, stdio[target], target);
  // After the dup2s, which may read descriptors above 2.
  if (r == 0) r = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  pid_t pid = -1;
  if (r == 0) r = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), envp.data());
  if (r != 0) return Error{"cannot run " + path + ": " + std::strerror(r), r};
  return pid;
}

}  // namespace aim
