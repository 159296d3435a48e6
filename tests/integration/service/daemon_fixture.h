#pragma once
// The service outside systemd, as the daemon tests run it: real rules in a
// private namespace, the test API server over HTTPS, and a NOTIFY_SOCKET the
// test listens on.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "netns.h"
#include "node1_cluster_test.h"
#include "require.h"
#include "time_scale.h"

namespace aim::test {

using namespace std::chrono_literals;

// How many times `part` occurs in `text` (log lines, requests).
inline size_t count_in(const std::string& text, const std::string& part) {
  size_t n = 0, at = 0;
  while ((at = text.find(part, at)) != std::string::npos) ++n, ++at;
  return n;
}

// How long the daemon gets for what a check or two should do. Generous: CI
// runs the suite on two busy cores, twice (once under ASan). Timing claims
// belong in the benchmarks; a bound here only has to catch "never".
// Stretched by AIM_TEST_TIME_SCALE in the ThreadSanitizer tier.
inline const std::chrono::seconds kEvent = scaled(std::chrono::seconds(30));

class DaemonTest : public test::Node1ClusterTest {
 protected:
  void SetUp() override {
    Node1ClusterTest::SetUp();
    if (!ready()) return;
    // The sample node without its hand-added rule: clean.
    ASSERT_EQ(run("iptables-legacy -D INPUT 5").status, 0);
    allow_ = server_->dir() + "/allow";
    ASSERT_EQ(run("cp -r " + std::string(AIM_ALLOWLIST_DIR) + "/kube-proxy-node " + allow_).status,
              0);

    notify_path_ = server_->dir() + "/notify";
    notify_fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, notify_path_.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(bind(notify_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval tv{0, 100000};
    setsockopt(notify_fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (notify_fd_ >= 0) close(notify_fd_);
    // A sanitizer's report in the daemon (it goes to the daemon's stderr)
    // fails the test that provoked it, whether or not the daemon went on.
    if (!log_.empty()) {
      const std::string text = daemon_log();
      for (const char* report : {"WARNING: ThreadSanitizer", "ERROR: AddressSanitizer",
                                 "ERROR: LeakSanitizer", "runtime error:"})
        if (text.find(report) != std::string::npos)
          ADD_FAILURE() << "the daemon's log holds a sanitizer report:\n" << text;
    }
  }

  void start(const std::vector<std::string>& extra = {}) {
    log_ = server_->dir() + "/daemon.log";
    std::vector<std::string> args{test::binary_path(),
                                  "--backend",
                                  "legacy",
                                  "--input",
                                  allow_,
                                  "--kubeconfig",
                                  kubeconfig_,
                                  "--node-name",
                                  "node1",
                                  "--interval",
                                  "1",
                                  "-v",
                                  "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = fork();
    if (pid_ == 0) {
      setenv("NOTIFY_SOCKET", notify_path_.c_str(), 1);
      for (const auto& [name, value] : env_) setenv(name.c_str(), value.c_str(), 1);
      FILE* f = std::fopen(log_.c_str(), "w");
      if (f) dup2(fileno(f), 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }

  // Notifications received so far, accumulated.
  std::string notifications(std::chrono::milliseconds wait = 0ms) {
    const auto until = std::chrono::steady_clock::now() + wait;
    // Drains every queued datagram: reading one per poll would let the queue
    // fill and block the daemon's sd_notify (soaks then measure the harness).
    do {
      char buf[4096];
      ssize_t n;
      bool got = false;
      while ((n = recv(notify_fd_, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
        notified_.append(buf, static_cast<size_t>(n)).append("\n");
        got = true;
      }
      if (!got && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
    } while (std::chrono::steady_clock::now() < until);
    return notified_;
  }

  // Checks finished so far: one STATUS= notification each (and, rarely, one
  // more when a request or the watch changes what the line says: waits for
  // "N more checks" may end a little early, never late).
  size_t checks_done() {
    notifications();
    size_t n = 0, at = 0;
    while ((at = notified_.find("STATUS=", at)) != std::string::npos) ++n, ++at;
    return n;
  }
  // Waits until `more` checks have finished after this call.
  bool wait_for_checks(size_t more) {
    const size_t target = checks_done() + more;
    return wait_for([&] { return checks_done() >= target; }, kEvent);
  }

  bool wait_for(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      notifications();
      if (cond()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return cond();
  }

  // Sends SIGTERM and expects exit 0 `within` (10 s: generous on a busy
  // machine, yet far below the never of a daemon that does not act on
  // SIGTERM). Waits at most kEvent, then kills it.
  void expect_prompt_clean_stop(std::chrono::seconds within = 10s) {
    within = scaled(within);
    const auto t0 = std::chrono::steady_clock::now();
    kill(pid_, SIGTERM);
    int status = 0;
    pid_t ended = 0;
    while ((ended = waitpid(pid_, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() - t0 < kEvent)
      std::this_thread::sleep_for(10ms);
    const auto took = std::chrono::steady_clock::now() - t0;
    if (ended != pid_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
      FAIL() << "no exit " << kEvent.count() << " s after SIGTERM";
    }
    pid_ = -1;
    EXPECT_LT(took, within) << "exit took "
                            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                            << " ms";
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  std::string daemon_log() {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::string allow_, notify_path_, log_, notified_;
  // Set in the daemon's environment by start() (AIM_TEST_HOOKS, AIM_RUNTIME).
  std::vector<std::pair<std::string, std::string>> env_;
  int notify_fd_ = -1;
  pid_t pid_ = -1;
};

}  // namespace aim::test
