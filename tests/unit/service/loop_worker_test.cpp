// LoopWorker: jobs run beside the loop, their continuations on the loop
// thread, and a job that throws becomes its `failed` continuation instead of
// ending the process.
#include "service/loop_worker.h"

#include <gtest/gtest.h>
#include <systemd/sd-event.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace aim {
namespace {

using namespace std::chrono_literals;

class LoopWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sd_event_new(&loop_), 0);
    ASSERT_TRUE(worker_.start(loop_)) << "cannot start the worker";
  }
  void TearDown() override {
    worker_.stop();
    sd_event_unref(loop_);
  }
  // Runs the loop until `done` or 30 s (a bound for "never", not a speed).
  bool run_until(const bool& done) {
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (!done && std::chrono::steady_clock::now() < until) sd_event_run(loop_, 100000);
    return done;
  }

  sd_event* loop_ = nullptr;
  LoopWorker worker_;
};

TEST_F(LoopWorkerTest, AJobsContinuationRunsOnTheLoopThread) {
  const auto loop_thread = std::this_thread::get_id();
  std::thread::id job_thread, continuation_thread;
  bool done = false;
  worker_.submit(
      [&]() -> LoopWorker::Continuation {
        job_thread = std::this_thread::get_id();
        return [&] {
          continuation_thread = std::this_thread::get_id();
          done = true;
        };
      },
      [](const std::string&) -> LoopWorker::Continuation { return {}; });
  ASSERT_TRUE(run_until(done));
  EXPECT_NE(job_thread, loop_thread);
  EXPECT_EQ(continuation_thread, loop_thread);
}

TEST_F(LoopWorkerTest, AJobThatThrowsBecomesItsFailedContinuationWithTheText) {
  std::string failure;
  bool done = false;
  worker_.submit([]() -> LoopWorker::Continuation { throw std::runtime_error("no memory left"); },
                 [&](const std::string& what) -> LoopWorker::Continuation {
                   return [&, what] {
                     failure = what;
                     done = true;
                   };
                 });
  ASSERT_TRUE(run_until(done));
  EXPECT_EQ(failure, "no memory left");

  // Not a std::exception: still caught, still said.
  done = false;
  worker_.submit([]() -> LoopWorker::Continuation { throw 42; },
                 [&](const std::string& what) -> LoopWorker::Continuation {
                   return [&, what] {
                     failure = what;
                     done = true;
                   };
                 });
  ASSERT_TRUE(run_until(done));
  EXPECT_FALSE(failure.empty());
}

TEST_F(LoopWorkerTest, TheWorkerGoesOnAfterAJobThrew) {
  int ran = 0;
  bool done = false;
  const auto failed = [](const std::string&) -> LoopWorker::Continuation { return {}; };
  worker_.submit([]() -> LoopWorker::Continuation { throw std::logic_error("bug"); }, failed);
  worker_.submit(
      [&]() -> LoopWorker::Continuation {
        return [&] {
          ++ran;
          done = true;
        };
      },
      failed);
  ASSERT_TRUE(run_until(done));
  EXPECT_EQ(ran, 1);
}

TEST_F(LoopWorkerTest, AContinuationThatThrowsGoesToTheFaultHandlerWithItsText) {
  LoopWorker worker;
  std::string fault;
  bool done = false;
  ASSERT_TRUE(worker.start(loop_, [&](const std::string& what) {
    fault = what;
    done = true;
  }));
  worker.submit(
      []() -> LoopWorker::Continuation {
        return [] { throw std::out_of_range("a loop-thread bug"); };
      },
      [](const std::string&) -> LoopWorker::Continuation { return {}; });
  ASSERT_TRUE(run_until(done));
  EXPECT_EQ(fault, "a loop-thread bug");
  worker.stop();
}

TEST_F(LoopWorkerTest, WithoutAFaultHandlerAThrowingContinuationEndsTheLoopWithStatus1) {
  worker_.submit(
      []() -> LoopWorker::Continuation {
        return [] { throw std::runtime_error("a loop-thread bug"); };
      },
      [](const std::string&) -> LoopWorker::Continuation { return {}; });
  // A bound for "never": the loop exits with 2 if nothing ended it.
  ASSERT_GE(sd_event_add_time_relative(
                loop_, nullptr, CLOCK_MONOTONIC, 30 * 1000000ULL, 0,
                [](sd_event_source* s, uint64_t, void*) {
                  return sd_event_exit(sd_event_source_get_event(s), 2);
                },
                nullptr),
            0);
  // sd_event_loop returns the code the loop was exited with.
  EXPECT_EQ(sd_event_loop(loop_), 1);
}

}  // namespace
}  // namespace aim
