// The Logger is called from the service's loop, check, request and watch
// threads at once: every line must reach stderr whole, never mixed with
// another (stderr is the journal stream's pipe, or a container's log).
#include "log/logger.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace aim {
namespace {

// Points fd 2 at a new file for the test's lifetime.
class StderrToFile {
 public:
  StderrToFile() {
    char path[] = "/tmp/aim-logger-XXXXXX";
    const int fd = mkstemp(path);
    path_ = path;
    saved_ = dup(2);
    dup2(fd, 2);
    close(fd);
  }
  ~StderrToFile() {
    restore();
    unlink(path_.c_str());
  }
  void restore() {
    if (saved_ < 0) return;
    dup2(saved_, 2);
    close(saved_);
    saved_ = -1;
  }
  std::string contents() const {
    std::ifstream in(path_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::string path_;
  int saved_ = -1;
};

TEST(Logger, LinesFromManyThreadsArriveWholeAndNoneIsLost) {
  // As main does: C++ streams not synchronized with stdio.
  std::ios::sync_with_stdio(false);
  constexpr int kThreads = 8, kLines = 400;
  // Longer than a stream buffer's worth per few lines, so mixed writes show.
  const std::string filler(300, 'x');
  StderrToFile capture;
  {
    Logger log(0, /*to_journal=*/false);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < kLines; ++i)
          log.info(0, "thread " + std::to_string(t) + " line " + std::to_string(i) + " " + filler);
      });
    // The verbosity may change meanwhile (it is read by every thread).
    for (int i = 0; i < 100; ++i) log.set_verbosity(i % 2);
    for (auto& th : threads) th.join();
  }
  capture.restore();
  std::istringstream lines(capture.contents());
  std::map<int, int> next;  // thread -> the line expected next
  std::string line;
  size_t count = 0;
  while (std::getline(lines, line)) {
    ++count;
    const size_t at = line.find("azure-iptables-monitor] thread ");
    ASSERT_NE(at, std::string::npos) << "a torn line: " << line;
    int t = -1, i = -1;
    char rest[400] = {};
    ASSERT_EQ(std::sscanf(line.c_str() + at, "azure-iptables-monitor] thread %d line %d %399s", &t,
                          &i, rest),
              3)
        << line;
    EXPECT_EQ(std::string(rest), filler) << line;
    EXPECT_EQ(line.size(), at + std::string("azure-iptables-monitor] thread  line  ").size() +
                               std::to_string(t).size() + std::to_string(i).size() + filler.size())
        << "a line with more than its own text: " << line;
    // Each thread's lines in its own order, none missing.
    EXPECT_EQ(i, next[t]) << line;
    next[t] = i + 1;
  }
  EXPECT_EQ(count, static_cast<size_t>(kThreads * kLines));
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kLines) << "thread " << t;
}

TEST(Logger, WriteLineWritesEverythingEvenPastAPipeBuffer) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  fcntl(fds[1], F_SETPIPE_SZ, 4096);
  const std::string big(200000, 'y');
  std::string got;
  std::thread reader([&] {
    char buf[8192];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  });
  Logger::write_line(fds[1], big);
  close(fds[1]);
  reader.join();
  close(fds[0]);
  EXPECT_EQ(got.size(), big.size());
  EXPECT_EQ(got, big);
}

TEST(Logger, LinesBelowTheVerbosityAreNotWritten) {
  StderrToFile capture;
  Logger log(2, false);
  log.info(3, "too detailed");
  log.info(2, "a summary");
  capture.restore();
  const std::string text = capture.contents();
  EXPECT_EQ(text.find("too detailed"), std::string::npos) << text;
  EXPECT_NE(text.find("a summary"), std::string::npos) << text;
}

}  // namespace
}  // namespace aim
