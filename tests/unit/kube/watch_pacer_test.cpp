// Issue 30: how the CiliumNode watch paces itself, on a fake clock.
#include "kube/watch_pacer.h"

#include <gtest/gtest.h>

namespace aim {
namespace {

using namespace std::chrono_literals;
using Clock = WatchPacer::Clock;
using Fault = WatchPacer::Fault;
using std::chrono::milliseconds;

const Clock::time_point t0{};

TEST(WatchPacer, EachWatchAsksForItsOwnTimeoutBetweenTheMinimumAndTwiceIt) {
  WatchPacer p;
  EXPECT_EQ(p.watch_timeout(0.0), 290s);
  EXPECT_EQ(p.watch_timeout(0.5), 435s);
  EXPECT_EQ(p.watch_timeout(0.999), 579s);
}

// A restarting server refuses (403) before its authorizer has synced: said
// at once, retried from about a second, doubling, and the watch that was
// open is not given up within the restart.
TEST(WatchPacer, ARefusalRightAfterAStartIsRetriedWithBackoffAndSaidOnce) {
  WatchPacer p;
  p.opened(t0);
  Clock::time_point now = t0 + 1s;
  auto step = p.failed(Fault::Transport, "watch: connection reset", now, 1.0);
  EXPECT_EQ(step.wait, 15s) << "a cut: the reconnect is spread (its whole 15 s at this draw)";
  now += step.wait;
  step = p.failed(Fault::Refused, "list: 403 Forbidden", now, 1.0);
  EXPECT_EQ(step.wait, 1s) << "refusals start at a second";
  EXPECT_NE(step.say.find("403 Forbidden; the API server refused: it may still be starting; "
                          "retrying"),
            std::string::npos)
      << step.say;
  EXPECT_FALSE(step.health) << "not lost: a restart is ridden out";
  now += step.wait;
  step = p.failed(Fault::Refused, "list: 403 Forbidden", now, 1.0);
  EXPECT_EQ(step.wait, 2s);
  EXPECT_EQ(step.say, "") << "said once";
  EXPECT_FALSE(step.health) << "three failures, but only 3.5 s: not lost yet";
  now += step.wait;
  step = p.failed(Fault::Refused, "list: 403 Forbidden", now, 0.0);
  EXPECT_EQ(step.wait, 500ms) << "full jitter: down to half the first step";
  // The server is ready: the watch opens, and says so.
  step = p.opened(now + 500ms);
  EXPECT_FALSE(step.health) << "it never stopped being healthy";
  EXPECT_FALSE(p.no_grant());
}

// A restart cuts every node's watch in the same moment: the reconnects are
// spread over 15 s; the faults after it back off as usual.
TEST(WatchPacer, TheReconnectAfterACutIsSpread) {
  WatchPacer p;
  p.opened(t0);
  EXPECT_EQ(p.failed(Fault::Transport, "watch: connection reset", t0, 0.5).wait, 7500ms);
  EXPECT_EQ(p.failed(Fault::Transport, "watch: connection refused", t0 + 7500ms, 0.2).wait, 3s)
      << "still down: spread again, so the fleet does not return together when it is up";
  EXPECT_EQ(p.failed(Fault::Refused, "list: 403 Forbidden", t0 + 11s, 1.0).wait, 1s)
      << "up, refusing: the refusals' own back-off";
  EXPECT_EQ(p.failed(Fault::Transport, "list: connection reset", t0 + 12s, 1.0).wait, 2s)
      << "no longer reconnecting after a cut: the back-off alone";
  p.opened(t0 + 10s);
  EXPECT_EQ(p.failed(Fault::Transport, "watch: connection reset", t0 + 20s, 0.0).wait, 250ms)
      << "the back-off's floor at the bottom of the draw";
  p.worked();
  p.opened(t0 + 30s);
  EXPECT_EQ(p.failed(Fault::Garbage, "not JSON", t0 + 30s, 1.0).wait, 500ms)
      << "a bad answer is not a cut";
}

TEST(WatchPacer, AWatchThatWasOpenIsLostOnlyAfterFailingAWhile) {
  WatchPacer p;
  EXPECT_EQ(p.opened(t0).health, std::optional<bool>(true));
  Clock::time_point now = t0 + 100s;
  std::optional<Clock::time_point> lost_at;
  for (int i = 0; i < 20 && !lost_at; ++i) {
    const auto step = p.failed(Fault::Transport, "watch: timed out", now, 1.0);
    if (step.health == false) lost_at = now;
    now += step.wait;
  }
  ASSERT_TRUE(lost_at);
  EXPECT_GE(*lost_at - (t0 + 100s), Clock::duration(30s));
  EXPECT_LT(*lost_at - (t0 + 100s), Clock::duration(60s));
}

TEST(WatchPacer, AWatchNeverOpenedIsGivenUpAfterAFewFailuresSoTheLabelIsNotHeldUp) {
  WatchPacer p;
  Clock::time_point now = t0;
  std::optional<bool> health;
  int failures = 0;
  while (!health && failures < 10) {
    const auto step = p.failed(Fault::Refused, "list: 403 Forbidden", now, 1.0);
    health = step.health;
    now += step.wait;
    ++failures;
  }
  EXPECT_EQ(failures, 3);
  EXPECT_EQ(health, std::optional<bool>(false));
}

TEST(WatchPacer, ARefusalLastingMinutesIsNoGrantAndRetriedSlowly) {
  WatchPacer p;
  Clock::time_point now = t0;
  WatchPacer::Step step;
  int tries = 0;
  while (!p.no_grant() && tries < 100) {
    step = p.failed(Fault::Refused, "watch: 403 Forbidden", now, 1.0);
    now += step.wait;
    ++tries;
  }
  ASSERT_TRUE(p.no_grant());
  EXPECT_GE(now - t0, Clock::duration(2min));
  EXPECT_LE(tries, 10) << "back-off, not a request a second";
  EXPECT_NE(step.say.find("403 Forbidden (refused for 2 minutes: counted as no grant"),
            std::string::npos)
      << step.say;
  EXPECT_GE(step.wait, milliseconds(5min));
  EXPECT_LE(step.wait, milliseconds(450s)) << "spread by up to half";
  step = p.failed(Fault::Refused, "watch: 403 Forbidden", now, 0.0);
  EXPECT_EQ(step.wait, milliseconds(5min));
  EXPECT_EQ(step.say, "") << "said once";
  // A grant added: the watch opens and the slow rate ends.
  EXPECT_EQ(p.opened(now).health, std::optional<bool>(true));
  EXPECT_FALSE(p.no_grant());
}

// A server answering garbage after every open: the back-off grows (0.5 s
// doubling to 30 s) instead of ~5 restarts a second, since opening alone
// does not prove the watch works.
TEST(WatchPacer, GarbageAfterEveryOpenBacksOffDoublingToThirtySeconds) {
  WatchPacer p;
  Clock::time_point now = t0;
  std::vector<milliseconds> waits;
  for (int i = 0; i < 10; ++i) {
    p.opened(now);
    const auto step =
        p.failed(Fault::Garbage, "the watch sent something that is not JSON", now, 1.0);
    waits.push_back(step.wait);
    now += step.wait;
  }
  EXPECT_EQ(waits[0], 500ms);
  EXPECT_EQ(waits[1], 1s);
  EXPECT_EQ(waits[5], 16s);
  EXPECT_EQ(waits[6], 30s);
  EXPECT_EQ(waits[9], 30s);
  // An event or a bookmark proves it: the next fault waits from the start.
  p.worked();
  EXPECT_EQ(p.failed(Fault::Garbage, "bad", now, 1.0).wait, 500ms);
}

}  // namespace
}  // namespace aim
