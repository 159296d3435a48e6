// arm_at: the one way the service arms a timer.
#include "service/event_loop.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace aim {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int count_fire(sd_event_source*, uint64_t, void* fired) {
  ++*static_cast<int*>(fired);
  return 0;
}

class ArmAt : public ::testing::Test {
 protected:
  void SetUp() override {
    sd_event* e = nullptr;
    ASSERT_GE(sd_event_new(&e), 0);
    loop_.reset(e);
    sd_event_source* t = nullptr;
    ASSERT_GE(sd_event_add_time(e, &t, CLOCK_MONOTONIC, 0, 1000, count_fire, &fired_), 0);
    timer_.reset(t);
    ASSERT_GE(sd_event_source_set_enabled(t, SD_EVENT_OFF), 0);
  }
  // Runs the loop until the timer fired or 30 s (a bound for "never").
  void run_until_fired(int times) {
    const auto until = Clock::now() + 30s;
    while (fired_ < times && Clock::now() < until) sd_event_run(loop_.get(), 100000);
  }
  EventLoop loop_;
  EventSource timer_;
  int fired_ = 0;
};

TEST_F(ArmAt, FiresOnceAtItsTimeAndCanBeArmedAgain) {
  ASSERT_TRUE(arm_at(timer_.get(), Clock::now() + 20ms));
  run_until_fired(1);
  EXPECT_EQ(fired_, 1);
  // Once: no second firing without arming again.
  sd_event_run(loop_.get(), 50000);
  EXPECT_EQ(fired_, 1);
  ASSERT_TRUE(arm_at(timer_.get(), Clock::now() + 10ms));
  run_until_fired(2);
  EXPECT_EQ(fired_, 2);
}

TEST_F(ArmAt, ATimeAlreadyPastFiresAtOnce) {
  ASSERT_TRUE(arm_at(timer_.get(), Clock::time_point{}));
  run_until_fired(1);
  EXPECT_EQ(fired_, 1);
}

TEST_F(ArmAt, ASourceThatIsNoTimerIsAnErrorNamingTheCall) {
  const int fd = eventfd(0, EFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  sd_event_source* io = nullptr;
  ASSERT_GE(sd_event_add_io(
                loop_.get(), &io, fd, EPOLLIN,
                [](sd_event_source*, int, uint32_t, void*) { return 0; }, nullptr),
            0);
  EventSource owned(io);
  const Status armed = arm_at(io, Clock::now());
  ASSERT_FALSE(armed);
  EXPECT_NE(armed.error().find("sd_event_source_set_time"), std::string::npos) << armed.error();
  EXPECT_NE(armed.error_code(), 0);
  owned.reset();
  close(fd);
}

}  // namespace
}  // namespace aim
