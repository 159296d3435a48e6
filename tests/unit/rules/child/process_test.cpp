#include "rules/child/process.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

namespace aim {
namespace {

using std::chrono::milliseconds;

TEST(ChildProcess, CapturesStdoutAndStderr) {
  auto r = run_in_child(
      [] {
        std::printf("out%c", '\0');
        std::fprintf(stderr, "err");
        return 0;
      },
      milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stdout_text(), std::string("out\0", 4));
  EXPECT_EQ(r->stderr_text, "err");
  EXPECT_EQ(r->failure, "");
}

TEST(ChildProcess, ReportsExitStatus) {
  auto r = run_in_child([] { return 3; }, milliseconds(5000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->failure, "exited with status 3");
}

TEST(ChildProcess, ReportsDeathBySignal) {
  auto r = run_in_child(
      [] {
        std::raise(SIGKILL);  // not SIGSEGV: sanitizers catch that one
        return 0;
      },
      milliseconds(5000));
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->failure.find("killed by signal 9"), std::string::npos) << r->failure;
}

TEST(ChildProcess, KillsAChildThatHangs) {
  auto r = run_in_child(
      [] {
        pause();
        return 0;
      },
      milliseconds(300));
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->failure.find("timed out"), std::string::npos) << r->failure;
}

TEST(ChildProcess, KeepsWhatAKilledChildWrote) {
  // Killed (abandoned) only once it has written, however slowly it starts.
  int written[2];
  ASSERT_EQ(pipe(written), 0);
  auto r = run_in_child(
      [&] {
        std::printf("partial");
        std::fflush(stdout);
        [[maybe_unused]] ssize_t n = write(written[1], "x", 1);
        pause();
        return 0;
      },
      milliseconds(60000),
      [&] {
        pollfd p{written[0], POLLIN, 0};
        return poll(&p, 1, 0) == 1;
      });
  close(written[0]);
  close(written[1]);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->failure.find("abandoned"), std::string::npos) << r->failure;
  EXPECT_EQ(std::string(r->stdout_text()), "partial");
}

}  // namespace
}  // namespace aim
