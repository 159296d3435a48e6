// What an operator sees of the service (issue 15): its journal entries as
// journald receives them (priority, MESSAGE_ID) and its metrics file, with
// the real binary, real rules in a private namespace and the test API
// server.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "fake_journal.h"
#include "log/message_ids.h"
#include "netns.h"
#include "node1_cluster_test.h"
#include "require.h"

namespace aim {
namespace {

using namespace std::chrono_literals;
using test::run;

// Generous: CI runs the suite on two busy cores; a bound only has to catch
// "never".
constexpr auto kEvent = 30s;

bool wait_for(const std::function<bool()>& cond, std::chrono::milliseconds timeout = kEvent) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return cond();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the binary with `args`, stderr to `log`, optionally through `journal`.
pid_t spawn(const std::vector<std::string>& args, const std::string& log,
            const test::FakeJournal* journal) {
  const pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "w");
    if (f) dup2(fileno(f), 2);
    if (journal && !journal->enter_in_child()) _exit(125);
    std::vector<std::string> owned{test::binary_path()};
    owned.insert(owned.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : owned) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid, std::chrono::seconds within = 30s) {
  const auto until = std::chrono::steady_clock::now() + within;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > until) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(20ms);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string describe(const std::vector<test::JournalEntry>& entries) {
  std::string out;
  for (const auto& e : entries) {
    for (const auto& [k, v] : e) out += k + "=" + v + " ";
    out += "\n";
  }
  return out;
}

// Issue 15: a flag error stopped the service with a message at priority
// info (stderr text), invisible to `journalctl -p err`, listing the words
// last-first.
TEST(ServiceJournal, AFlagErrorIsOneEntryAtPriorityErrInCommandLineOrder) {
  if (geteuid() != 0) AIM_REQUIRE_OR_SKIP("needs root (a mount namespace for the journal socket)");
  char tmpl[] = "/tmp/aim-journal-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  test::FakeJournal journal(dir + "/journal");
  ASSERT_TRUE(journal.listening());
  const pid_t pid = spawn({"--node-name", "node1", "--interval", "60", "--intreval", "60"},
                          dir + "/stderr", &journal);
  EXPECT_EQ(wait_exit(pid), 78) << slurp(dir + "/stderr");
  const auto& entries = journal.entries();
  ASSERT_EQ(entries.size(), 1u) << describe(entries) << slurp(dir + "/stderr");
  const test::JournalEntry& e = entries[0];
  EXPECT_EQ(e.at("PRIORITY"), "3");
  EXPECT_EQ(e.at("EXIT_STATUS"), "78");
  EXPECT_EQ(e.at("SYSLOG_IDENTIFIER"), "azure-iptables-monitor");
  EXPECT_NE(e.at("MESSAGE").find("not expected: --intreval 60 ("), std::string::npos)
      << e.at("MESSAGE");
  EXPECT_NE(e.at("MESSAGE").find("not restarting: exit status 78"), std::string::npos);
  // Nothing else on the stream (which journald would log at info).
  EXPECT_EQ(slurp(dir + "/stderr"), "");
  std::system(("rm -rf '" + dir + "'").c_str());
}

class OperatorServiceTest : public test::Node1ClusterTest {
 protected:
  void SetUp() override {
    Node1ClusterTest::SetUp();
    if (!ready()) return;
    // The sample node keeps its hand-added rule (INPUT 5): unexpected.
    allow_ = server_->dir() + "/allow";
    ASSERT_EQ(run("cp -r " + std::string(AIM_ALLOWLIST_DIR) + "/kube-proxy-node " + allow_).status,
              0);
    metrics_ = server_->dir() + "/aim.prom";
    journal_ = std::make_unique<test::FakeJournal>(server_->dir() + "/journal");
    ASSERT_TRUE(journal_->listening());
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  void start() {
    pid_ = spawn({"--backend", "legacy", "--input", allow_, "--kubeconfig", kubeconfig_,
                  "--node-name", "node1", "--interval", "1", "--metrics-file", metrics_},
                 server_->dir() + "/stderr", journal_.get());
  }
  // The entries with `id` and, if given, FIELD=value.
  size_t count(std::string_view id, const std::string& field = "", const std::string& value = "") {
    size_t n = 0;
    for (const auto& e : journal_->entries()) {
      auto it = e.find("MESSAGE_ID");
      if (it == e.end() || it->second != id) continue;
      if (!field.empty() && (!e.count(field) || e.at(field) != value)) continue;
      ++n;
    }
    return n;
  }
  std::string promtool(const std::string& path) {
    return run("promtool check metrics < " + test::quote(path) + " 2>&1; echo rc=$?").out;
  }
  std::string log() { return describe(journal_->entries()) + slurp(server_->dir() + "/stderr"); }

  std::string allow_, metrics_;
  std::unique_ptr<test::FakeJournal> journal_;
  pid_t pid_ = -1;
};

// `journalctl MESSAGE_ID=...` finds the verdict changes and the unexpected
// rules, with their fields.
TEST_F(OperatorServiceTest, VerdictChangesAndUnexpectedRulesCarryTheirMessageIds) {
  start();
  ASSERT_TRUE(wait_for([&] { return count(kUnexpectedRuleMessageId) > 0; })) << log();
  EXPECT_EQ(count(kVerdictChangedMessageId, "VERDICT", "unexpected"), 1u) << log();
  for (const auto& e : journal_->entries()) {
    if (!e.count("MESSAGE_ID") || e.at("MESSAGE_ID") != kUnexpectedRuleMessageId) continue;
    EXPECT_EQ(e.at("TABLE"), "filter");
    EXPECT_EQ(
        e.at("RULE"),
        "-A INPUT -p tcp -m tcp --dport 8080 -m comment --comment \"added by hand\" -j ACCEPT")
        << log();
    EXPECT_EQ(e.at("PRIORITY"), "4");
  }
  ASSERT_EQ(run("iptables-legacy -D INPUT 5").status, 0);
  EXPECT_TRUE(wait_for([&] { return count(kVerdictChangedMessageId, "VERDICT", "clean") == 1; }))
      << log();
  // Once per change, not per check.
  EXPECT_EQ(count(kVerdictChangedMessageId), 2u) << log();
}

// The metrics file the service writes passes Prometheus' linter and follows
// the verdict.
TEST_F(OperatorServiceTest, TheMetricsFilePassesPromtoolAndFollowsTheVerdict) {
  if (run("command -v promtool >/dev/null").status != 0)
    AIM_REQUIRE_OR_SKIP(
        "promtool not installed (Debian package prometheus; scripts/install-deps.sh)");
  start();
  const std::string dirty = "azure_iptables_monitor_verdict{verdict=\"unexpected\"} 1\n";
  ASSERT_TRUE(wait_for([&] { return slurp(metrics_).find(dirty) != std::string::npos; }))
      << slurp(metrics_) << log();
  // Requests run beside the check: their outcome is in the file the check
  // after them writes (the interval is 1 s).
  const std::string patched =
      "azure_iptables_monitor_api_requests_total{method=\"patch\",resource="
      "\"ciliumnodes.cilium.io\",code=\"200\"} ";
  ASSERT_TRUE(wait_for([&] {
    const std::string t = slurp(metrics_);
    return t.find(patched) != std::string::npos &&
           t.find("azure_iptables_monitor_label_last_success_timestamp_seconds ") !=
               std::string::npos;
  })) << slurp(metrics_)
      << log();
  std::string text = slurp(metrics_);
  EXPECT_EQ(promtool(metrics_), "rc=0\n") << text;
  EXPECT_NE(text.find("azure_iptables_monitor_unexpected_rules{backend=\"legacy\",family=\"ipv4\","
                      "table=\"filter\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("azure_iptables_monitor_api_requests_total{method=\"patch\",resource="
                      "\"ciliumnodes.cilium.io\",code=\"200\"} "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("azure_iptables_monitor_label_last_success_timestamp_seconds "),
            std::string::npos);

  ASSERT_EQ(run("iptables-legacy -D INPUT 5").status, 0);
  const std::string clean = "azure_iptables_monitor_verdict{verdict=\"clean\"} 1\n";
  ASSERT_TRUE(wait_for([&] { return slurp(metrics_).find(clean) != std::string::npos; }))
      << slurp(metrics_) << log();
  text = slurp(metrics_);
  EXPECT_EQ(promtool(metrics_), "rc=0\n") << text;
  EXPECT_NE(text.find("azure_iptables_monitor_verdict{verdict=\"unexpected\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("table=\"filter\"} 0\n"), std::string::npos) << text;
  // Readable by node-exporter (another user) whatever the service's umask.
  EXPECT_EQ(run("stat -c %a " + test::quote(metrics_)).out, "644\n");
}

}  // namespace
}  // namespace aim
