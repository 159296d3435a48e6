// The daemon's exception barrier, end to end and in process: a rule reader
// that throws makes the check `unknown` with the exception's text, the
// service keeps running (its next check comes), and SIGTERM still stops it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "service/daemon.h"

namespace aim {
namespace {

using namespace std::chrono_literals;

class ThrowingReader : public RuleReader {
 public:
  Backend backend() const override { return Backend::Legacy; }
  RuleSet read(std::optional<Family>) override {
    ++reads;
    throw std::runtime_error("a reader bug");
  }
  std::atomic<int> reads{0};
};

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(DaemonExceptionBarrier, AThrowingCheckIsUnknownWithItsTextAndTheServiceGoesOn) {
  char dir[] = "/tmp/aim-barrier-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string log_path = std::string(dir) + "/log";
  // Signals for the daemon's signalfd must be blocked in every thread: here
  // first, so the daemon's thread inherits it.
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, sig);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &mask, nullptr), 0);
  unsetenv("NOTIFY_SOCKET");

  const int saved = dup(2);
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(log_fd, 0);
  dup2(log_fd, 2);
  close(log_fd);

  ThrowingReader reader;
  Logger log(2, false);
  ServiceOptions options;
  options.input = dir;  // no allowlist files: no patterns
  options.interval_seconds = 1;
  options.watch_rules = false;
  int status = -1;
  std::thread service([&] {
    Daemon daemon(options, {&reader}, log);
    status = daemon.run();
  });
  // Two checks: the first one's failure did not stop the service. 60 s is a
  // bound for "never" (a sanitizer build on a loaded machine), not a speed.
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (reader.reads < 2 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  // Let the second check's result reach the log, then stop.
  std::this_thread::sleep_for(200ms);
  kill(getpid(), SIGTERM);
  service.join();
  dup2(saved, 2);
  close(saved);

  const std::string text = read_all(log_path);
  EXPECT_GE(reader.reads.load(), 2) << text;
  EXPECT_NE(text.find("the check failed: a reader bug"), std::string::npos) << text;
  EXPECT_EQ(text.find("clean"), std::string::npos) << "never clean: " << text;
  EXPECT_EQ(status, 0) << text;
  std::remove(log_path.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace aim
