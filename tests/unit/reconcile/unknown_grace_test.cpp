#include "reconcile/unknown_grace.h"

#include <gtest/gtest.h>

namespace aim {
namespace {

using namespace std::chrono_literals;
using Clock = UnknownGrace::Clock;

// Issue 13: a lasting unknown left an old "false" in place forever.
TEST(UnknownGrace, LastingUnknownBecomesTrueAfterTwoChecksAndAMinute) {
  UnknownGrace grace;
  const Clock::time_point t0{};
  EXPECT_EQ(grace.decide(Verdict::Clean, t0).value, std::optional<bool>(false));
  LabelDecision first = grace.decide(Verdict::Unknown, t0 + 1s);
  EXPECT_FALSE(first.value);
  // Two checks but under a minute: still nothing.
  EXPECT_FALSE(grace.decide(Verdict::Unknown, t0 + 30s).value);
  EXPECT_EQ(grace.time_to_escalation(t0 + 30s), Clock::duration(31s));
  LabelDecision late = grace.decide(Verdict::Unknown, t0 + 61s);
  EXPECT_EQ(late.value, std::optional<bool>(true));
  EXPECT_TRUE(late.unknown_too_long);
  EXPECT_EQ(late.unknown_for, 60s);
  EXPECT_FALSE(grace.time_to_escalation(t0 + 61s));
  // Readable again: the verdict decides at once.
  EXPECT_EQ(grace.decide(Verdict::Clean, t0 + 62s).value, std::optional<bool>(false));
  EXPECT_FALSE(grace.time_to_escalation(t0 + 62s));
}

TEST(UnknownGrace, OneLongUnknownCheckIsNotEnough) {
  UnknownGrace grace;
  const Clock::time_point t0{};
  grace.decide(Verdict::Unknown, t0);
  // A minute passed but it is the second check that may escalate, not the
  // first: one failed read never flaps the label.
  EXPECT_FALSE(UnknownGrace().decide(Verdict::Unknown, t0 + 600s).value);
  EXPECT_TRUE(grace.decide(Verdict::Unknown, t0 + 600s).value);
  // Without a duration (--unknown-grace 0) the count alone holds it: the
  // time since the first unknown check is always zero at that check.
  UnknownGrace no_wait(UnknownGracePolicy{2, 0s});
  EXPECT_FALSE(no_wait.decide(Verdict::Unknown, t0).value);
  EXPECT_TRUE(no_wait.decide(Verdict::Unknown, t0 + 1s).value);
}

TEST(UnknownGrace, TransientUnknownsDoNotAccumulate) {
  UnknownGrace grace;
  const Clock::time_point t0{};
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(grace.decide(Verdict::Unknown, t0 + std::chrono::seconds(100 * i)).value);
    EXPECT_EQ(grace.decide(Verdict::Unexpected, t0 + std::chrono::seconds(100 * i + 50)).value,
              std::optional<bool>(true));
  }
  // A new run of unknowns is timed from its own start, not the first one's.
  EXPECT_FALSE(grace.decide(Verdict::Unknown, t0 + 2000s).value);
  EXPECT_FALSE(grace.decide(Verdict::Unknown, t0 + 2010s).value);
}

TEST(UnknownGrace, MessageSaysWhyAndWhatHappens) {
  Report r;
  r.verdict = Verdict::Unknown;
  r.errors = {"nft ipv4: iptables-nft-save exited with status 3"};
  LabelDecision d;
  d.value = true;
  d.unknown_too_long = true;
  d.unknown_for = 75s;
  const std::string m = unknown_too_long_message(d, r);
  EXPECT_NE(m.find("75 s"), std::string::npos) << m;
  EXPECT_NE(m.find("exited with status 3"), std::string::npos) << m;
  EXPECT_NE(m.find("labelling true"), std::string::npos) << m;
}

}  // namespace
}  // namespace aim
