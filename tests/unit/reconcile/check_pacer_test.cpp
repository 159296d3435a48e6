#include "reconcile/check_pacer.h"

#include <gtest/gtest.h>

namespace aim {
namespace {

using namespace std::chrono_literals;
using Clock = CheckPacer::Clock;
const Clock::time_point t0{};

TEST(CheckPacer, AChangeOnAQuietNodeIsCheckedAfterTheSettle) {
  CheckPacer pacer(300ms);
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
  CheckPacer pacer(300ms);
  pacer.check_started(t0, true);
  for (int i = 0; i < 100; ++i)
    pacer.changed(t0 + 30s + i * 10ms, i == 0 ? "legacy ipv4 nat" : "nft");
  EXPECT_EQ(pacer.due(), t0 + 30s + 300ms) << "from the first change, not the last";
  EXPECT_EQ(pacer.changes(), 100u);
  EXPECT_EQ(pacer.first_change(), "legacy ipv4 nat");
}

// Issue 29: the node of the sample (a check costs a few ms) answers each
// change of a back-to-back sequence after the settle, not after a fixed 5 s.
TEST(CheckPacer, BackToBackChangesOnACheapNodeWaitOnlyTheSettle) {
  CheckPacer pacer(300ms);
  Clock::time_point now = t0;
  pacer.check_started(now, false);
  pacer.check_finished(5ms);
  for (int i = 0; i < 4; ++i) {
    now += 600ms;  // the label followed the last change; the next one comes
    pacer.changed(now, "nft");
    ASSERT_TRUE(pacer.due());
    EXPECT_EQ(*pacer.due(), now + 300ms) << "change " << i;
    pacer.check_started(*pacer.due(), true);
    pacer.check_finished(5ms);
  }
}

TEST(CheckPacer, WithoutACostTheFloorSpacesChecks) {
  CheckPacer pacer(100ms);
  EXPECT_EQ(pacer.spacing(), CheckPacer::kFloor);
  EXPECT_LT(CheckPacer::kFloor, 1s) << "well under a second";
  pacer.check_started(t0, true);
  pacer.changed(t0 + 10ms, "nft");
  EXPECT_EQ(pacer.due(), t0 + CheckPacer::kFloor);
}

TEST(CheckPacer, ByDefaultChecksCostAtMostFourPercent) {
  CheckPacer pacer(300ms);
  pacer.check_started(t0, true);
  pacer.check_finished(400ms);  // CPU time
  EXPECT_EQ(pacer.spacing(), 10s) << "0.4 s is 4 % of 10 s";
  EXPECT_EQ(pacer.spacing_by_cost(), 10s);
  pacer.check_finished(4ms);
  EXPECT_EQ(pacer.spacing_by_cost(), 100ms);
  EXPECT_EQ(pacer.spacing(), CheckPacer::kFloor) << "never below the floor";
}

TEST(CheckPacer, ChurnOnACheapNodeIsCheckedAtEveryChange) {
  CheckPacer pacer(300ms);
  pacer.check_started(t0, true);
  int checks = 0;
  // A change every second for two minutes; a check runs whenever one is due.
  for (int s = 1; s <= 120; ++s) {
    const Clock::time_point now = t0 + std::chrono::seconds(s);
    pacer.changed(now, "nft");
    if (auto due = pacer.due(); due && *due <= now + 1s) {
      pacer.check_started(*due, true);
      pacer.check_finished(10ms);
      ++checks;
    }
  }
  EXPECT_EQ(checks, 120);
}

TEST(CheckPacer, TheOperatorsCeilingSpacesChurnAtMostEveryMinInterval) {
  CheckPacer pacer(300ms, 10s);
  pacer.check_started(t0, true);
  int checks = 0;
  for (int s = 1; s <= 120; ++s) {
    const Clock::time_point now = t0 + std::chrono::seconds(s);
    pacer.changed(now, "nft");
    if (auto due = pacer.due(); due && *due <= now + 1s) {
      pacer.check_started(*due, true);
      ++checks;
    }
  }
  EXPECT_GE(checks, 11);
  EXPECT_LE(checks, 12) << "at most one per 10 s";
}

TEST(CheckPacer, ABigNodesChecksAreSpacedByTheirCost) {
  CheckPacer pacer(300ms, Clock::duration::zero(), CheckPacer::kFloor, 0.05);
  pacer.check_started(t0, true);
  pacer.check_finished(700ms);  // 10,000 services
  EXPECT_EQ(pacer.spacing(), 14s) << "0.7 s is 5 % of 14 s";
  pacer.changed(t0 + 1s, "nft");
  EXPECT_EQ(pacer.due(), t0 + 14s);
  pacer.check_started(t0 + 14s, true);
  pacer.check_finished(5ms);  // small again
  EXPECT_EQ(pacer.spacing(), CheckPacer::kFloor);
}

TEST(CheckPacer, TheCeilingWinsOverACheapCostButNotOverAnExpensiveOne) {
  CheckPacer pacer(300ms, 2s);
  pacer.check_finished(10ms);
  EXPECT_EQ(pacer.spacing(), 2s);
  pacer.check_finished(200ms);
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
