#include "util/process_cpu.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>

namespace aim {
namespace {

double children_seconds() {
  rusage u{};
  getrusage(RUSAGE_CHILDREN, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// A living child's CPU counts (getrusage knows only reaped ones): the kept
// nft helper works for the service without ever being reaped.
TEST(ProcessCpu, CountsALivingChildsTime) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const double before = process_tree_cpu_seconds();
  const double reaped_before = children_seconds();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Burn 0.3 s of CPU (its own CPU clock, not the wall clock: on a loaded
    // machine 0.3 s of wall time may be far less CPU), say so, then wait to
    // be killed.
    timespec used{};
    unsigned long spin = 0;
    do {
      for (int i = 0; i < 100000; ++i) spin = spin + 1;
      asm volatile("" : : "r"(spin));
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used);
    } while (used.tv_sec == 0 && used.tv_nsec < 300'000'000);
    char c = 'x';
    (void)!write(ready[1], &c, 1);
    for (;;) pause();
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  const double during = process_tree_cpu_seconds();
  const double reaped_during = children_seconds();
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  close(ready[0]);
  close(ready[1]);
  EXPECT_GE(during - before, 0.15) << "the living child's 0.3 s of CPU was not counted";
  EXPECT_LT(reaped_during - reaped_before, 0.05) << "getrusage alone would have missed it";
  EXPECT_GE(process_tree_cpu_seconds(), during - 0.01) << "reaped, it still counts";
}

}  // namespace
}  // namespace aim
