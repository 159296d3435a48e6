// Issue 17: rule changes start a check within the settle, for both backends,
// and bursts and churn are folded into few checks. The service at
// --interval 3600 against the test API server, real rules in a private
// namespace: any check after the first is a change's doing.
#include <gtest/gtest.h>

#include "daemon_fixture.h"

namespace aim {
namespace {

using test::count_in;
using test::DaemonTest;
using test::kEvent;
using test::run;
using namespace std::chrono_literals;

class RuleChangeTest : public DaemonTest {
 protected:
  void start_quiet(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"--backend", "auto", "--interval", "3600"};
    args.insert(args.end(), extra.begin(), extra.end());
    start(args);
    ASSERT_TRUE(wait_for([&] { return label() == "false"; }, kEvent)) << daemon_log();
  }
  size_t checks() { return count_in(daemon_log(), "check took "); }
};

TEST_F(RuleChangeTest, ALegacyRuleAddedOrRemovedIsCheckedAtOnce) {
  start_quiet();
  ASSERT_EQ(run("iptables-legacy -A INPUT -p tcp -m tcp --dport 9999 -j ACCEPT").status, 0);
  EXPECT_TRUE(wait_for([&] { return label() == "true"; }, kEvent)) << daemon_log();
  EXPECT_NE(daemon_log().find("checking (rule change: legacy ipv4 filter"), std::string::npos)
      << daemon_log();
  ASSERT_EQ(run("iptables-legacy -D INPUT -p tcp -m tcp --dport 9999 -j ACCEPT").status, 0);
  EXPECT_TRUE(wait_for([&] { return label() == "false"; }, kEvent)) << daemon_log();
}

TEST_F(RuleChangeTest, AnNftRuleAddedOrRemovedIsCheckedAtOnce) {
  start_quiet();
  ASSERT_EQ(run("iptables-nft -A INPUT -p tcp -m tcp --dport 9999 -j ACCEPT").status, 0);
  EXPECT_TRUE(wait_for([&] { return label() == "true"; }, kEvent)) << daemon_log();
  EXPECT_NE(daemon_log().find("checking (rule change: nft"), std::string::npos) << daemon_log();
  ASSERT_EQ(run("iptables-nft -D INPUT -p tcp -m tcp --dport 9999 -j ACCEPT").status, 0);
  EXPECT_TRUE(wait_for([&] { return label() == "false"; }, kEvent)) << daemon_log();
  // A native nftables table is a change too.
  ASSERT_EQ(run("nft add table inet user && nft add chain inet user input '{ type filter hook "
                "input priority 0; }' && nft add rule inet user input tcp dport 22 accept")
                .status,
            0);
  EXPECT_TRUE(wait_for([&] { return label() == "true"; }, kEvent)) << daemon_log();
}

TEST_F(RuleChangeTest, ABurstOfAHundredChangesIsOneOrTwoChecks) {
  start_quiet({"--min-check-interval", "5"});
  const size_t before = checks();
  std::string restore = "*filter\n";
  for (int i = 0; i < 100; ++i)
    restore += "-A INPUT -p tcp -m tcp --dport " + std::to_string(20000 + i) + " -j ACCEPT\n";
  restore += "COMMIT\n";
  const std::string file = server_->dir() + "/burst.rules";
  std::ofstream(file) << restore;
  // One transaction of 100 rules (nft), then 100 separate commands (legacy).
  const auto burst_start = std::chrono::steady_clock::now();
  ASSERT_EQ(run("iptables-nft-restore --noflush < " + file).status, 0);
  for (int i = 0; i < 100; ++i)
    ASSERT_EQ(run("iptables-legacy -A INPUT -p udp -m udp --dport " + std::to_string(20000 + i) +
                  " -j ACCEPT")
                  .status,
              0);
  const double burst_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - burst_start).count();
  EXPECT_TRUE(wait_for([&] { return label() == "true"; }, kEvent)) << daemon_log();
  // Everything settled: the last change has had its check.
  std::this_thread::sleep_for(6s);
  const size_t burst_checks = checks() - before;
  EXPECT_GE(burst_checks, 1u);
  // At most a check per 5 s while the commands ran (a second or more; far
  // longer on a loaded machine), one at the start and one after: bounded
  // by what they took, not by a wall-clock guess.
  const size_t allowed = 2 + static_cast<size_t>(burst_seconds / 5.0) + 1;
  EXPECT_LE(burst_checks, allowed) << "burst took " << burst_seconds << " s\n" << daemon_log();
}

TEST_F(RuleChangeTest, ChurnIsCheckedAtTheMinimumIntervalAndLosesNothing) {
  start_quiet({"--min-check-interval", "2"});
  const size_t before = checks();
  const auto t0 = std::chrono::steady_clock::now();
  // Changes every 100 ms for 8 s (allowed rules: the verdict stays clean)...
  for (bool add = true; std::chrono::steady_clock::now() - t0 < 8s; add = !add) {
    ASSERT_EQ(run(std::string("iptables-legacy -t nat ") + (add ? "-N" : "-X") + " KUBE-SVC-CHURN")
                  .status,
              0);
    std::this_thread::sleep_for(100ms);
  }
  const auto churned = std::chrono::steady_clock::now() - t0;
  const size_t churn_checks = checks() - before;
  EXPECT_GE(churn_checks, 2u) << daemon_log();
  // One per 2 s, plus the one right after the first change.
  EXPECT_LE(churn_checks,
            static_cast<size_t>(
                std::chrono::duration_cast<std::chrono::seconds>(churned).count() / 2 + 2))
      << daemon_log();
  // ...and a user rule added during churn still reaches the label.
  ASSERT_EQ(run("iptables-legacy -A INPUT -p tcp -m tcp --dport 9999 -j ACCEPT").status, 0);
  ASSERT_EQ(run("iptables-legacy -t nat -N KUBE-SVC-LATE").status, 0);
  EXPECT_TRUE(wait_for([&] { return label() == "true"; }, kEvent)) << daemon_log();
}

TEST_F(RuleChangeTest, WithoutRuleWatchingChangesWaitForTheInterval) {
  start_quiet({"--no-watch-rules"});
  ASSERT_EQ(run("iptables-legacy -A INPUT -p tcp -m tcp --dport 9999 -j ACCEPT").status, 0);
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(label(), "false") << "the next check is an hour away";
  EXPECT_EQ(checks(), 1u) << daemon_log();
}

}  // namespace
}  // namespace aim
