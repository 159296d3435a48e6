#include "rules/child/process.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

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
      },
      {written[1]});
  close(written[0]);
  close(written[1]);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->failure.find("abandoned"), std::string::npos) << r->failure;
  EXPECT_EQ(std::string(r->stdout_text()), "partial");
}

// Issue 30: a helper gets stdio and nothing else, even descriptors that are
// not close-on-exec (libcurl's sockets were not). A pipe without O_CLOEXEC
// stands for them.
class InheritedDescriptors : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(pipe(leaky_), 0); }  // no O_CLOEXEC, on purpose
  void TearDown() override {
    close(leaky_[0]);
    close(leaky_[1]);
  }
  int leaky_[2] = {-1, -1};
};

// The descriptors of the calling process, as /proc lists them, without the
// one the listing itself uses.
std::string own_descriptors() {
  std::string names;
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return "cannot list";
  for (dirent* e = readdir(dir); e; e = readdir(dir)) {
    if (e->d_name[0] == '.' || std::atoi(e->d_name) == dirfd(dir)) continue;
    names += std::string(e->d_name) + " ";
  }
  closedir(dir);
  return names;
}

TEST_F(InheritedDescriptors, AForkedChildKeepsOnlyStdio) {
  auto r = run_in_child(
      [] {
        std::printf("%s", own_descriptors().c_str());
        return 0;
      },
      milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(std::string(r->stdout_text()), "0 1 2 ")
      << "leaky pipe: " << leaky_[0] << ", " << leaky_[1];
  // What the body is given, it keeps.
  r = run_in_child(
      [] {
        std::printf("%s", own_descriptors().c_str());
        return 0;
      },
      milliseconds(5000), {}, {leaky_[1]});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(std::string(r->stdout_text()), "0 1 2 " + std::to_string(leaky_[1]) + " ");
}

TEST_F(InheritedDescriptors, ASpawnedProgramKeepsOnlyStdio) {
  // The shell lists its own descriptors through a child of its own (ls).
  auto r =
      run_executable("/bin/sh", {"-c", "ls /proc/$$/fd | tr '\\n' ' '"}, {}, milliseconds(10000));
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r->failure, "") << r->stderr_text;
  EXPECT_EQ(std::string(r->stdout_text()), "0 1 2 ")
      << "leaky pipe: " << leaky_[0] << ", " << leaky_[1];
}

// The child protocol: a job's exit is a ChildExit, read as one, never
// through the failure's wording.
TEST(ChildProcess, ExitIsReadAsAChildExit) {
  auto r = run_in_child([] { return exit_code(ChildExit::RulesetChanged); }, milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r->exited_with(ChildExit::RulesetChanged));
  EXPECT_FALSE(r->exited_with(ChildExit::Done));
}

TEST(ChildProcess, FailureTextJoinsHowItEndedWithWhatItSaid) {
  auto r = run_in_child(
      [] {
        std::fprintf(stderr, "cannot read table nat\n\n");
        return exit_code(ChildExit::ReadFailed);
      },
      milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->failure_text(), "exited with status 5: cannot read table nat");
  EXPECT_EQ(child_said(std::string(500, 'x'), 400), std::string(400, 'x') + "...");
  ChildOutput quiet;
  EXPECT_EQ(quiet.failure_text(), "");
}

// The one spawn helper: the program gets exactly the fds it is given.
TEST(ChildProcess, SpawnedProgramWritesWhereItIsTold) {
  auto out = make_memfd("test-spawn-out");
  ASSERT_TRUE(out) << out.error();
  auto pid = spawn_with_only_stdio("/bin/sh", {"-c", "echo spawned; echo said >&2"}, {},
                                   {-1, out->get(), out->get()});
  ASSERT_TRUE(pid) << pid.error();
  int status = 0;
  ASSERT_EQ(waitpid(*pid, &status, 0), *pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto text = read_all_from_start(out->get());
  ASSERT_TRUE(text) << text.error();
  EXPECT_EQ(*text, "spawned\nsaid\n");
}

TEST(ChildProcess, AProgramThatCannotRunIsAnError) {
  auto pid = spawn_with_only_stdio("/nonexistent/program", {}, {}, {-1, -1, -1});
  EXPECT_FALSE(pid);
}

TEST(ChildProcess, RunExecutableCollectsTheSpawnedProgram) {
  auto r =
      run_executable("/bin/sh", {"-c", "echo out; echo err >&2; exit 4"}, {}, milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stdout_text(), "out\n");
  EXPECT_EQ(r->failure_text(), "exited with status 4: err");
}

}  // namespace
}  // namespace aim
