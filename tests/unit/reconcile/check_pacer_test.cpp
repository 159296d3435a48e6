#include "reconcile/check_pacer.h"

#include <gtest/gtest.h>

namespace aim {
namespace {

using namespace std::chrono_literals;
using Clock = CheckPacer::Clock;
const Clock::time_point t0{};

TEST(CheckPacer, AChangeOnAQuietNodeIsCheckedAfterTheSettle) {
  CheckPacer pacer(300ms, 10s);
  EXPECT_FALSE(pacer.due());
  pacer.check_started(t0, false);  // the start's check
  pacer.changed(t0 + 60s, "nft");
  EXPECT_EQ(pacer.due(), t0 + 60s + 300ms);
  EXPECT_EQ(pacer.first_change(), "nft");
  pacer.check_started(t0 + 60s + 300ms, true);
  EXPECT_FALSE(pacer.due()) << "covered by that check";
}

TEST(CheckPacer, OtherChecksDoNotHoldBackTheFirstChange) {
  CheckPacer pacer(300ms, 5s);
  pacer.check_started(t0, false);  // at start
  pacer.changed(t0 + 2s, "nft");
  EXPECT_EQ(pacer.due(), t0 + 2s + 300ms);
}

TEST(CheckPacer, ABurstIsOneCheckAndMoreChangesCannotPostponeIt) {
  CheckPacer pacer(300ms, 10s);
  pacer.check_started(t0, true);
  for (int i = 0; i < 100; ++i)
    pacer.changed(t0 + 30s + i * 10ms, i == 0 ? "legacy ipv4 nat" : "nft");
  EXPECT_EQ(pacer.due(), t0 + 30s + 300ms) << "from the first change, not the last";
  EXPECT_EQ(pacer.changes(), 100u);
  EXPECT_EQ(pacer.first_change(), "legacy ipv4 nat");
}

TEST(CheckPacer, ChurnIsCheckedAtMostEveryMinInterval) {
  CheckPacer pacer(300ms, 10s);
  pacer.check_started(t0, true);
  int checks = 0;
  Clock::time_point now = t0;
  // A change every second for two minutes; a check runs whenever one is due.
  for (int s = 1; s <= 120; ++s) {
    now = t0 + std::chrono::seconds(s);
    pacer.changed(now, "nft");
    if (auto due = pacer.due(); due && *due <= now + 1s) {
      pacer.check_started(*due, true);
      ++checks;
    }
  }
  EXPECT_GE(checks, 11);
  EXPECT_LE(checks, 12) << "at most one per 10 s";
}

TEST(CheckPacer, ByDefaultChecksCostAtMostFourPercent) {
  CheckPacer pacer(300ms, 5s);
  pacer.check_started(t0, true);
  pacer.check_finished(400ms);  // CPU time
  EXPECT_EQ(pacer.spacing(), 10s) << "0.4 s is 4 % of 10 s";
}

TEST(CheckPacer, ABigNodesChecksAreSpacedByTheirCost) {
  CheckPacer pacer(300ms, 5s, 0.05);
  pacer.check_started(t0, true);
  pacer.check_finished(700ms);  // 10,000 services
  EXPECT_EQ(pacer.spacing(), 14s) << "0.7 s is 5 % of 14 s";
  pacer.changed(t0 + 1s, "nft");
  EXPECT_EQ(pacer.due(), t0 + 14s);
  pacer.check_started(t0 + 14s, true);
  pacer.check_finished(50ms);  // small again
  EXPECT_EQ(pacer.spacing(), 5s);
}

TEST(CheckPacer, AChangeDuringACheckGetsTheNextOne) {
  CheckPacer pacer(300ms, 2s);
  pacer.check_started(t0, true);
  pacer.changed(t0 + 100ms, "nft");  // the check may have read before it
  EXPECT_EQ(pacer.due(), t0 + 2s);
}

}  // namespace
}  // namespace aim
