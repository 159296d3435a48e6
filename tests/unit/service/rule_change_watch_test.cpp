// The rule-change watch without the kernel's sources (no root): changes are
// told to it directly, the loop runs its timer.
#include "service/rule_change_watch.h"

#include <gtest/gtest.h>

#include <atomic>

namespace aim {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class RuleChangeWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sd_event* e = nullptr;
    ASSERT_GE(sd_event_new(&e), 0);
    loop_.reset(e);
    ASSERT_TRUE(poller_.start(e));
    RuleChangeWatch::Setup setup;  // neither nf_tables nor x_tables
    setup.settle = 20ms;
    ASSERT_TRUE(watch_.start(e, poller_, setup));
  }
  void TearDown() override { poller_.stop(); }
  // Runs the loop for `span`, or until a check is due when `until_due`.
  void run(std::chrono::milliseconds span, bool until_due) {
    const auto until = Clock::now() + span;
    const size_t before = due_.size();
    while (Clock::now() < until && !(until_due && due_.size() > before))
      sd_event_run(loop_.get(), 20000);
  }

  Logger log_{-1, false};
  std::atomic<bool> stopping_{false};
  std::vector<std::string> due_;
  std::vector<std::string> loop_errors_;
  EventLoop loop_;
  LoopWorker poller_;
  RuleChangeWatch watch_{log_, stopping_, [this](const std::string& d) { due_.push_back(d); },
                         [this](int, const char* what) { loop_errors_.push_back(what); }};
};

TEST_F(RuleChangeWatchTest, ChangesAreOneDueCheckNamingTheFirstAndCountingTheRest) {
  watch_.changed("legacy ipv4 nat");
  watch_.changed("nft");
  watch_.changed("nft");
  run(30s, true);  // a bound for "never"
  ASSERT_EQ(due_.size(), 1u);
  EXPECT_EQ(due_.front(), "legacy ipv4 nat and 2 more");
  EXPECT_TRUE(loop_errors_.empty());
}

TEST_F(RuleChangeWatchTest, ChangesDuringACheckWaitForItsEndThenGetTheNext) {
  watch_.check_started(true);
  watch_.changed("nft");
  run(300ms, false);
  EXPECT_TRUE(due_.empty()) << "not while a check runs";
  watch_.check_finished(1ms);
  run(30s, true);
  ASSERT_EQ(due_.size(), 1u);
  EXPECT_EQ(due_.front(), "nft");
}

TEST_F(RuleChangeWatchTest, AStartedCheckCoversWhatWasNoticed) {
  watch_.changed("nft");
  watch_.check_started(false);  // e.g. the interval's check
  watch_.check_finished(1ms);
  run(400ms, false);
  EXPECT_TRUE(due_.empty()) << "covered by that check";
  EXPECT_TRUE(loop_errors_.empty());
}

TEST(RuleChangeWatchNotStarted, IsHarmlessWithoutItsLoop) {
  Logger log(-1, false);
  std::atomic<bool> stopping{false};
  std::vector<std::string> errors;
  RuleChangeWatch watch(
      log, stopping, [](const std::string&) {},
      [&](int, const char* what) { errors.push_back(what); });
  // --no-watch-rules: the daemon still tells it of its checks.
  watch.check_started(false);
  watch.changed("nft");
  watch.check_finished(1ms);
  EXPECT_TRUE(errors.empty());
}

}  // namespace
}  // namespace aim
