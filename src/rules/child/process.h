#pragma once
// Runs a child of this process, forked (a function) or spawned (a program),
// with its stdout and stderr in memfds, and collects both. Used to contain
// libxtables (its per-process family state, its global handles and its
// non-returning fatal-error path) and libnftables (its crashes on rules it
// cannot expand). The timeout and the abort are kept through a pidfd
// (pidfd_open, Linux 5.3): on a kernel without one, the child is waited for
// until it ends, however long that takes.
#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rules/child_start.h"
#include "util/fd.h"
#include "util/result.h"

namespace aim {

// How a child job of this program ends (its exit status): the protocol
// between the readers and their children (jobs/child_jobs.h).
enum class ChildExit : int {
  Done = 0,
  Refused = 1,         // nft-command: libnftables refused the commands or could not start
                       // (its message on stderr)
  LibraryFatal = 3,    // libxtables' fatal handler ran (its message on stderr)
  SetupFailed = 4,     // libxtables could not be initialised
  ReadFailed = 5,      // the kernel could not be read, or the answer written (why on stderr)
  RulesetChanged = 6,  // the ruleset changed during every attempt: the next check reads again
  NoOutput = 120,      // a forked child could not set up its fds (stdio, closing the rest)
  UnknownJob = 121,    // no such job, or its arguments are wrong
};
constexpr int exit_code(ChildExit e) { return static_cast<int>(e); }

inline constexpr std::size_t kChildSaidLimit = 400;

struct ChildOutput {
  // The child's stdout, mapped rather than copied: rule listings run to tens
  // of megabytes and are parsed in place.
  std::shared_ptr<const MappedFile> stdout_map;
  std::string_view stdout_text() const { return stdout_map ? stdout_map->text() : ""; }
  std::string stderr_text;
  // Empty when the child exited 0; otherwise how it ended ("exited with
  // status 3", "killed by signal 9", "timed out after 60 s").
  std::string failure;
  int exit_status = 0;    // -1 when it did not exit (killed, timed out)
  long peak_rss_kib = 0;  // the child's peak resident set

  bool exited_with(ChildExit e) const { return exit_status == exit_code(e); }
  // How it failed, for an error message: `failure`, then what the child
  // said on stderr (child_said). Empty when it exited 0 and said nothing.
  std::string failure_text(std::size_t stderr_limit = kChildSaidLimit) const;
};

// What a child said on stderr, for a message: without trailing newlines and
// spaces, cut after `limit` characters (a confused child can say a lot).
std::string child_said(std::string stderr_text, std::size_t limit = kChildSaidLimit);

// `body` runs in the child and returns its exit status; the child never
// returns into the caller's code. The child is killed after `timeout`, or as
// soon as `abort` (polled a few times a second) returns true (with a pidfd:
// see above).
//
// fork() without exec is safe only in a process with one thread: a child of
// a multi-threaded process inherits every lock another thread held (the
// allocator's, the dynamic loader's) and can hang on it. Callers that may run
// in the service (several threads) use run_child_job (child/job.h).
//
// The child has stdio (fds 0-2 to the memfds) and the descriptors in `keep`;
// every other one is closed before `body` runs: a descriptor it kept (an API
// server connection) would outlive the parent's use of it while it runs.
Result<ChildOutput> run_in_child(const std::function<int()>& body,
                                 std::chrono::milliseconds timeout,
                                 const std::function<bool()>& abort = {},
                                 std::vector<int> keep = {});

// Runs the program at `path` with `args` and exactly `environment`
// (posix_spawn: safe from any thread), collecting its output as
// run_in_child does.
Result<ChildOutput> run_executable(const std::string& path, const std::vector<std::string>& args,
                                   const std::vector<std::string>& environment,
                                   std::chrono::milliseconds timeout,
                                   const std::function<bool()>& abort = {});

// Starts the program at `path` (posix_spawn) with `stdio` as its fds 0, 1 and
// 2 (-1 leaves that one as this process has it) and every other descriptor
// closed, whether or not it is close-on-exec: a helper outlives requests, and
// any descriptor it inherited (an API server connection the service has since
// dropped) would stay open as long as it runs. `args` are its argv[1]...,
// `environment` its whole environment. The one place a child program is
// started. Returns the child's pid, or the spawn's error (its errno as code).
Result<pid_t> spawn_with_only_stdio(const std::string& path, const std::vector<std::string>& args,
                                    const std::vector<std::string>& environment,
                                    std::array<int, 3> stdio);

// "exited with status 3", "killed by signal 9 (Killed)": how a child ended.
std::string describe_wait_status(int status);

// Waits until `fd` is readable, `timeout` has passed or `abort` (polled a
// few times a second) says so.
enum class WaitEnd { Ready, TimedOut, Aborted, Failed };
WaitEnd wait_readable(int fd, std::chrono::milliseconds timeout,
                      const std::function<bool()>& abort);

// Whether this process has one thread (/proc/self/status).
bool process_is_single_threaded();

}  // namespace aim
