// Issue 17: rule changes start a check within the settle, for both backends,
// and bursts and churn are folded into few checks. Issue 29: checks for
// changes are spaced by their cost alone, --min-check-interval only caps it;
// a same-size replacement on iptables-legacy is seen by the fingerprint of
// the table's entries, and traffic is not a change. The service at
// --interval 3600 against the test API server, real rules in a private
// namespace: any check after the first is a change's doing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <sstream>

#include "daemon_fixture.h"
#include "packet_flood.h"
#include "rules/changes/sources.h"

namespace aim {
namespace {

using test::count_in;
using test::DaemonTest;
using test::kEvent;
using test::run;
using namespace std::chrono_literals;

// A klog line's time of day in seconds ("I1207 14:07:40.123456 ..."): the
// daemon's own clock, so gaps measured with it are the daemon's, not the
// test's (a loaded machine delays the test's view, not these stamps).
std::optional<double> klog_seconds(const std::string& line) {
  int h = 0, m = 0;
  double s = 0;
  if (line.size() < 21 || std::sscanf(line.c_str() + 6, "%d:%d:%lf", &h, &m, &s) != 3)
    return std::nullopt;
  return h * 3600.0 + m * 60.0 + s;
}

// The daemon's times of the log lines holding `part`, in order.
std::vector<double> times_of(const std::string& log, const std::string& part) {
  std::vector<double> times;
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find(part) == std::string::npos) continue;
    if (auto t = klog_seconds(line)) {
      // Past midnight: keep the times increasing.
      while (!times.empty() && *t < times.back() - 43200) *t += 86400;
      times.push_back(*t);
    }
  }
  return times;
}

// The numbers the daemon logs with each change-triggered check: the spacing
// in force and the part its cost asked for (-v 2: "rule-change checks are
// spaced 0.250 s apart (by cost 0.104 s: ...").
struct Spacing {
  double spacing, by_cost;
};
std::vector<Spacing> spacings_of(const std::string& log) {
  std::vector<Spacing> out;
  const std::string key = "rule-change checks are spaced ";
  for (size_t at = 0; (at = log.find(key, at)) != std::string::npos; ++at) {
    Spacing s{};
    if (std::sscanf(log.c_str() + at + key.size(), "%lf s apart (by cost %lf s", &s.spacing,
                    &s.by_cost) == 2)
      out.push_back(s);
  }
  return out;
}

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

// Issue 29: no fixed floor of seconds. Each change of a back-to-back
// sequence (the next made as soon as the label followed the last) reaches the
// label, and the checks are spaced by their cost alone: never closer than the
// spacing the daemon logs, and that spacing is what the cost asks (or the
// floor), not a fixed 5 s. Latency itself is the benchmark's to measure.
TEST_F(RuleChangeTest, BackToBackChangesAreEachCheckedAtTheirCost) {
  start_quiet();
  const std::vector<std::pair<std::string, std::string>> steps{
      {"iptables-nft -A INPUT -p tcp -m tcp --dport 9999 -j ACCEPT", "true"},
      {"iptables-nft -D INPUT -p tcp -m tcp --dport 9999 -j ACCEPT", "false"},
      {"iptables-legacy -A INPUT -p tcp -m tcp --dport 9998 -j ACCEPT", "true"},
      {"iptables-legacy -D INPUT -p tcp -m tcp --dport 9998 -j ACCEPT", "false"}};
  for (const auto& [command, wanted] : steps) {
    ASSERT_EQ(run(command).status, 0) << command;
    ASSERT_TRUE(wait_for([&] { return label() == wanted; }, kEvent)) << command << "\n"
                                                                     << daemon_log();
  }
  const std::string log = daemon_log();
  const std::vector<Spacing> spacings = spacings_of(log);
  ASSERT_GE(spacings.size(), steps.size()) << "a check for every change\n" << log;
  for (const Spacing& s : spacings) {
    // By cost alone: 0.25 s at least, more only when the cost asks for it
    // (the logged values are rounded to the millisecond).
    EXPECT_GE(s.spacing, 0.25 - 0.001) << log;
    EXPECT_LE(s.spacing, std::max(0.25, s.by_cost) + 0.001) << "a floor beyond the cost\n" << log;
  }
  const std::vector<double> starts = times_of(log, "checking (rule change");
  ASSERT_EQ(starts.size(), spacings.size()) << log;
  for (size_t i = 1; i < starts.size(); ++i)
    EXPECT_GE(starts[i] - starts[i - 1], spacings[i].spacing - 0.01)
        << "check " << i << " started sooner than the spacing allows\n"
        << log;
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

// --min-check-interval is the operator's ceiling on frequency: under churn,
// change-triggered checks start at least that far apart, measured by the
// daemon's own clock (its log stamps: a loaded machine stretches what the
// test sees, not these), and no change is lost.
TEST_F(RuleChangeTest, ChurnIsCheckedAtTheMinimumIntervalAndLosesNothing) {
  start_quiet({"--min-check-interval", "2", "-v", "4"});
  const auto t0 = std::chrono::steady_clock::now();
  // Changes every 100 ms for 8 s (allowed rules: the verdict stays clean)...
  for (bool add = true; std::chrono::steady_clock::now() - t0 < 8s; add = !add) {
    ASSERT_EQ(run(std::string("iptables-legacy -t nat ") + (add ? "-N" : "-X") + " KUBE-SVC-CHURN")
                  .status,
              0);
    std::this_thread::sleep_for(100ms);
  }
  // ...and a user rule added during churn still reaches the label.
  ASSERT_EQ(run("iptables-legacy -A INPUT -p tcp -m tcp --dport 9999 -j ACCEPT").status, 0);
  ASSERT_EQ(run("iptables-legacy -t nat -N KUBE-SVC-LATE").status, 0);
  EXPECT_TRUE(wait_for([&] { return label() == "true"; }, kEvent)) << daemon_log();
  // Every change noticed gets a check that starts after it (by the daemon's
  // own account: the last change it noticed is older than its last check).
  EXPECT_TRUE(wait_for(
      [&] {
        const std::string log = daemon_log();
        const std::vector<double> noticed = times_of(log, "rule change noticed");
        const std::vector<double> starts = times_of(log, "checking (rule change");
        return !noticed.empty() && !starts.empty() && noticed.back() <= starts.back();
      },
      kEvent))
      << "a change noticed but never checked\n"
      << daemon_log();

  const std::string log = daemon_log();
  const std::vector<double> starts = times_of(log, "checking (rule change");
  ASSERT_GE(starts.size(), 1u) << log;
  for (size_t i = 1; i < starts.size(); ++i)
    EXPECT_GE(starts[i] - starts[i - 1], 2.0 - 0.01)
        << "checks " << i - 1 << " and " << i << " closer than --min-check-interval\n"
        << log;
}

// Issue 29: `iptables-legacy -R` with a rule of the same size leaves the
// table's size as it was, so only the fingerprint of its entries can see it;
// the label follows without waiting for the interval (an hour here), IPv4
// and IPv6. How soon is the benchmark's to measure (bench/xt_fingerprint.sh).
TEST_F(RuleChangeTest, ASameSizeLegacyReplacementIsCheckedWithoutWaitingForTheInterval) {
  start_quiet({"--ipv6", "--input6", allow_, "-v", "4"});
  for (Family family : {Family::V4, Family::V6}) {
    const std::string legacy = test::legacy_binary(family);
    const std::string table = std::string(family_name(family)) + " filter";
    // An allowed rule: its check finds the node clean.
    const size_t before = checks();
    ASSERT_EQ(run(legacy + " -I INPUT 1 -p udp -m udp --dport 68 -j ACCEPT").status, 0);
    ASSERT_TRUE(wait_for([&] { return checks() > before; }, kEvent)) << daemon_log();
    ASSERT_EQ(label(), "false") << daemon_log();

    XtTablePoller sizes({family});
    const XtTableSizes was = sizes.poll();
    const size_t mark = daemon_log().size();
    ASSERT_EQ(run(legacy + " -R INPUT 1 -p udp -m udp --dport 69 -j ACCEPT").status, 0);
    ASSERT_TRUE(changed_tables(was, sizes.poll()).empty()) << "not a same-size replacement";
    EXPECT_TRUE(wait_for([&] { return label() == "true"; }, kEvent)) << table << "\n"
                                                                     << daemon_log();
    EXPECT_NE(daemon_log().find("checking (rule change: legacy " + table + " (entries)", mark),
              std::string::npos)
        << daemon_log();
    // And back: the allowed rule again, same size, clean again.
    ASSERT_EQ(run(legacy + " -R INPUT 1 -p udp -m udp --dport 68 -j ACCEPT").status, 0);
    EXPECT_TRUE(wait_for([&] { return label() == "false"; }, kEvent)) << table << "\n"
                                                                      << daemon_log();
    ASSERT_EQ(run(legacy + " -D INPUT 1").status, 0);
  }
}

// Packets move every counted rule's counters; the fingerprint leaves them
// out, so a flood through a counted rule, over many fingerprint passes,
// notices no change and starts no check (issue 29: `ping -f` must not look
// like a change).
TEST_F(RuleChangeTest, TrafficThroughCountedRulesIsNoChange) {
  const std::string lo = test::loopback_up();
  ASSERT_EQ(lo, "");
  ASSERT_EQ(run("iptables-legacy -A INPUT -p udp -m udp --dport 68 -j ACCEPT && "
                "ip6tables-legacy -A INPUT -p udp -m udp --dport 68 -j ACCEPT")
                .status,
            0);
  start_quiet({"--ipv6", "--input6", allow_, "-v", "5"});
  const auto passes = [&] { return count_in(daemon_log(), "x_tables fingerprints: "); };
  // Quiet: two passes with nothing to notice.
  const size_t first = passes();
  ASSERT_TRUE(wait_for([&] { return passes() >= first + 2; }, kEvent)) << daemon_log();
  const size_t noticed = count_in(daemon_log(), "rule change noticed");
  const size_t checks_before = checks();
  const size_t passes_before = passes();
  long sent = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < 3s || passes() < passes_before + 3) {
    sent += test::flood_udp(Family::V4, 68, 200ms);
    sent += test::flood_udp(Family::V6, 68, 200ms);
    ASSERT_LT(std::chrono::steady_clock::now() - t0, kEvent) << daemon_log();
  }
  ASSERT_GT(sent, 1000);
  EXPECT_GT(test::legacy_rule_packets(Family::V4, "filter", "--dport 68"), 0);
  EXPECT_GT(test::legacy_rule_packets(Family::V6, "filter", "--dport 68"), 0);
  EXPECT_EQ(count_in(daemon_log(), "rule change noticed"), noticed)
      << sent << " packets looked like a change\n"
      << daemon_log();
  EXPECT_EQ(checks(), checks_before) << daemon_log();
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
