// The metrics renderer (pure) and the atomic writer (a temporary directory,
// no root), and the rendered text against Prometheus' own linter.
#include "metrics/metrics.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "metrics/metrics_file.h"
#include "require.h"

namespace aim {
namespace {

Report dirty_report() {
  Report r;
  r.verdict = Verdict::Unexpected;
  r.tables = {{Family::V4, Backend::Legacy, "filter", 12, 2, ""},
              {Family::V4, Backend::Legacy, "nat", 30, 0, ""},
              {Family::V6, Backend::Nft, "filter", 5, 1, ""},
              {Family::V4, Backend::Native, "inet firewalld", 40, 3, ""},
              {Family::V4, Backend::Legacy, "raw", 0, 0, "Permission denied"}};
  r.errors = {"legacy ipv4 table raw: Permission denied"};
  r.limit_hits = {{{"/etc/x/filter", 3}, "(a+)+$", 1}};
  r.unexpected.resize(6);
  return r;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `ls -A DIR`.
std::string listing(const std::string& dir) {
  FILE* p = popen(("ls -A '" + dir + "'").c_str(), "r");
  std::string out;
  char buf[256];
  while (p && fgets(buf, sizeof buf, p)) out += buf;
  if (p) pclose(p);
  return out;
}

TEST(RenderMetrics, VerdictIsOneGaugePerStateExactlyOneSet) {
  MetricsSnapshot s;
  record_report(s, dirty_report());
  const std::string text = render_metrics(s);
  EXPECT_NE(text.find("azure_iptables_monitor_verdict{verdict=\"clean\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("azure_iptables_monitor_verdict{verdict=\"unexpected\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("azure_iptables_monitor_verdict{verdict=\"unknown\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE azure_iptables_monitor_verdict gauge\n"), std::string::npos);

  Report clean;
  clean.verdict = Verdict::Clean;
  record_report(s, clean);
  const std::string after = render_metrics(s);
  EXPECT_NE(after.find("azure_iptables_monitor_verdict{verdict=\"clean\"} 1\n"), std::string::npos);
  EXPECT_NE(after.find("azure_iptables_monitor_verdict{verdict=\"unexpected\"} 0\n"),
            std::string::npos);
  // The counter keeps both checks.
  EXPECT_NE(after.find("azure_iptables_monitor_checks_total{verdict=\"clean\"} 1\n"),
            std::string::npos);
  EXPECT_NE(after.find("azure_iptables_monitor_checks_total{verdict=\"unexpected\"} 1\n"),
            std::string::npos);
  // Tables of the earlier check are gone.
  EXPECT_EQ(after.find("azure_iptables_monitor_unexpected_rules{"), std::string::npos) << after;
}

TEST(RenderMetrics, UnexpectedRulesPerBackendFamilyTableAndNativeTablesSplit) {
  MetricsSnapshot s;
  record_report(s, dirty_report());
  const std::string text = render_metrics(s);
  EXPECT_NE(text.find("azure_iptables_monitor_unexpected_rules{backend=\"legacy\",family=\"ipv4\","
                      "table=\"filter\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("azure_iptables_monitor_unexpected_rules{backend=\"nft\",family=\"ipv6\","
                      "table=\"filter\"} 1\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("azure_iptables_monitor_unexpected_rules{backend=\"nftables\",family=\"inet\","
                "table=\"firewalld\"} 3\n"),
      std::string::npos);
  EXPECT_NE(
      text.find("azure_iptables_monitor_rules{backend=\"legacy\",family=\"ipv4\",table=\"nat\"}"
                " 30\n"),
      std::string::npos);
  EXPECT_NE(text.find("azure_iptables_monitor_table_readable{backend=\"legacy\",family=\"ipv4\","
                      "table=\"raw\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("azure_iptables_monitor_read_errors 1\n"), std::string::npos);
  EXPECT_NE(text.find("azure_iptables_monitor_pattern_limit_hits 1\n"), std::string::npos);
}

TEST(RenderMetrics, ApiOutcomesBpfAndTimestamps) {
  MetricsSnapshot s;
  s.api_requests[{"patch", "ciliumnodes.cilium.io", "200"}] = 4;
  s.api_requests[{"patch", "ciliumnodes.cilium.io", "error"}] = 1;
  s.check_duration_seconds = 0.125;
  s.last_check_unix_seconds = 1764300000.5;
  std::string text = render_metrics(s);
  EXPECT_NE(text.find("azure_iptables_monitor_api_requests_total{method=\"patch\",resource="
                      "\"ciliumnodes.cilium.io\",code=\"200\"} 4\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("code=\"error\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("azure_iptables_monitor_check_duration_seconds 0.125\n"), std::string::npos);
  EXPECT_NE(text.find("azure_iptables_monitor_last_check_timestamp_seconds 1764300000.5\n"),
            std::string::npos);
  // Never labelled: 0 (a staleness alert fires); no --checkMap: absent.
  EXPECT_NE(text.find("azure_iptables_monitor_label_last_success_timestamp_seconds 0\n"),
            std::string::npos);
  EXPECT_EQ(text.find("bpf_"), std::string::npos);
  EXPECT_NE(text.find("azure_iptables_monitor_label_overwrites_total 0\n"), std::string::npos);
  s.label_last_success_unix_seconds = 1764300000;
  s.label_overwrites = 5;
  s.bpf_blocked_rule_additions = 17;
  text = render_metrics(s);
  EXPECT_NE(text.find("azure_iptables_monitor_label_last_success_timestamp_seconds 1764300000\n"),
            std::string::npos);
  EXPECT_NE(text.find("azure_iptables_monitor_bpf_blocked_rule_additions_total 17\n"),
            std::string::npos);
  EXPECT_NE(text.find("azure_iptables_monitor_label_overwrites_total 5\n"), std::string::npos);
}

// A list without patterns (a ConfigMap not created) shows as 0 for its
// family, and is counted among the problems.
TEST(RenderMetrics, AllowlistPatternsPerFamilyAndProblems) {
  MetricsSnapshot s;
  std::string text = render_metrics(s);
  EXPECT_EQ(text.find("azure_iptables_monitor_allowlist_patterns{"), std::string::npos)
      << "nothing loaded yet: no series";
  EXPECT_NE(text.find("azure_iptables_monitor_allowlist_problems 0\n"), std::string::npos);
  s.allowlist_patterns = {{"ipv4", 0}, {"ipv6", 12}};
  s.allowlist_problems = 1;
  text = render_metrics(s);
  EXPECT_NE(text.find("azure_iptables_monitor_allowlist_patterns{family=\"ipv4\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("azure_iptables_monitor_allowlist_patterns{family=\"ipv6\"} 12\n"),
            std::string::npos);
  EXPECT_NE(text.find("azure_iptables_monitor_allowlist_problems 1\n"), std::string::npos);
}

TEST(RenderMetrics, LabelValuesAreEscaped) {
  MetricsSnapshot s;
  Report r;
  r.verdict = Verdict::Clean;
  r.tables = {{Family::V4, Backend::Native, "inet we\"ird\\name\nx", 1, 0, ""}};
  record_report(s, r);
  const std::string text = render_metrics(s);
  EXPECT_NE(text.find("table=\"we\\\"ird\\\\name\\nx\""), std::string::npos) << text;
}

// Prometheus' linter (Debian package prometheus) accepts the text, dirty and
// clean, with every optional metric present.
TEST(RenderMetrics, PromtoolAcceptsIt) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0)
    AIM_REQUIRE_OR_SKIP(
        "promtool not installed (Debian package prometheus; scripts/install-deps.sh)");
  MetricsSnapshot s;
  record_report(s, dirty_report());
  s.api_requests[{"get", "nodes", "403"}] = 2;
  s.label_last_success_unix_seconds = 1764300000;
  s.bpf_blocked_rule_additions = 3;
  s.label_observed = "other";
  s.label_sent = "true";
  s.allowlist_patterns = {{"ipv4", 0}, {"ipv6", 3}};
  s.allowlist_problems = 2;
  s.version = "0.1.0";
  char tmpl[] = "/tmp/aim-metrics-XXXXXX";
  const int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  close(fd);
  for (const std::string& text : {render_metrics(s), render_metrics(MetricsSnapshot{})}) {
    std::ofstream(tmpl) << text;
    const std::string cmd = std::string("promtool check metrics < ") + tmpl + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[512];
    while (fgets(buf, sizeof buf, p)) out += buf;
    EXPECT_EQ(pclose(p), 0) << out << "\n" << text;
    EXPECT_EQ(out, "") << text;
  }
  unlink(tmpl);
}

class AtomicWrite : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/aim-metrics-dir-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string dir_;
};

TEST_F(AtomicWrite, WritesMode0644WhateverTheUmaskAndLeavesNoTemporaryFile) {
  const mode_t old = umask(0077);
  const Status st = write_file_atomically(dir_ + "/aim.prom", "a 1\n");
  umask(old);
  ASSERT_TRUE(st.ok()) << st.error();
  struct stat s {};
  ASSERT_EQ(stat((dir_ + "/aim.prom").c_str(), &s), 0);
  EXPECT_EQ(s.st_mode & 07777, 0644u);
  EXPECT_EQ(slurp(dir_ + "/aim.prom"), "a 1\n");
  ASSERT_TRUE(write_file_atomically(dir_ + "/aim.prom", "a 2\n").ok());
  EXPECT_EQ(slurp(dir_ + "/aim.prom"), "a 2\n");
  // Only the file itself is left.
  EXPECT_EQ(listing(dir_), "aim.prom\n");
}

TEST_F(AtomicWrite, ASymlinkAtThePathIsReplacedNotFollowed) {
  const std::string victim = dir_ + "/victim";
  std::ofstream(victim) << "precious\n";
  ASSERT_EQ(symlink(victim.c_str(), (dir_ + "/aim.prom").c_str()), 0);
  ASSERT_TRUE(write_file_atomically(dir_ + "/aim.prom", "a 1\n").ok());
  EXPECT_EQ(slurp(victim), "precious\n");
  struct stat s {};
  ASSERT_EQ(lstat((dir_ + "/aim.prom").c_str(), &s), 0);
  EXPECT_TRUE(S_ISREG(s.st_mode));
}

TEST_F(AtomicWrite, FailuresSayWhatAndWhere) {
  Status st = write_file_atomically(dir_ + "/missing/aim.prom", "a 1\n");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find(dir_ + "/missing"), std::string::npos) << st.error();
  EXPECT_NE(st.error().find("No such file"), std::string::npos) << st.error();
  // A directory in the way of the rename: the temporary file is removed.
  ASSERT_EQ(mkdir((dir_ + "/aim.prom").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir_ + "/aim.prom/x").c_str(), 0755), 0);
  st = write_file_atomically(dir_ + "/aim.prom", "a 1\n");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("cannot rename"), std::string::npos) << st.error();
  EXPECT_EQ(listing(dir_), "aim.prom\n");
}

TEST(ServiceMetrics, WritesTheLatestStateOfRequestsChecksAndTheLabel) {
  char tmpl[] = "/tmp/aim-metrics-svc-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  ServiceMetrics m(dir + "/aim.prom", "1.2.3");
  m.count_api_request("patch", "ciliumnodes.cilium.io", "200");
  m.count_api_request("patch", "ciliumnodes.cilium.io", "200");
  m.count_api_request("watch", "ciliumnodes.cilium.io", "403");
  ASSERT_TRUE(m.write().ok());
  std::string text = slurp(dir + "/aim.prom");
  // Before any check: requests, build info, a never-set label (0).
  EXPECT_NE(text.find("code=\"200\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("{method=\"watch\",resource=\"ciliumnodes.cilium.io\",code=\"403\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("azure_iptables_monitor_build_info{version=\"1.2.3\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("azure_iptables_monitor_label_last_success_timestamp_seconds 0\n"),
            std::string::npos);
  EXPECT_EQ(text.find("azure_iptables_monitor_label{"), std::string::npos) << text;

  const Report r = dirty_report();
  m.check_finished({&r, 0.5, std::nullopt});
  m.label_observed(true, std::nullopt);
  m.label_sent(true);
  m.label_progress({true, 3});
  ASSERT_TRUE(m.write().ok());
  text = slurp(dir + "/aim.prom");
  EXPECT_NE(text.find("azure_iptables_monitor_check_duration_seconds 0.5\n"), std::string::npos);
  EXPECT_EQ(text.find("azure_iptables_monitor_label_last_success_timestamp_seconds 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("azure_iptables_monitor_label_overwrites_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("azure_iptables_monitor_label{source=\"observed\",value=\"absent\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("azure_iptables_monitor_label{source=\"sent\",value=\"true\"} 1\n"),
            std::string::npos);
  // A label not settled keeps the last success time.
  const auto success = [&] {
    const std::string t = slurp(dir + "/aim.prom");
    const std::string key = "label_last_success_timestamp_seconds ";
    return t.substr(t.find(key + "1"));
  };
  const std::string before = success();
  m.label_progress({false, 3});
  ASSERT_TRUE(m.write().ok());
  EXPECT_EQ(success(), before);
  std::system(("rm -rf '" + dir + "'").c_str());
}

TEST(RenderMetrics, LabelGaugesOneStatePerSourceAndBoundedValues) {
  EXPECT_EQ(label_state(true, std::string("true")), "true");
  EXPECT_EQ(label_state(true, std::string("false")), "false");
  EXPECT_EQ(label_state(true, std::nullopt), "absent");
  EXPECT_EQ(label_state(false, std::nullopt), "absent");
  EXPECT_EQ(label_state(true, std::string("yes")), "other");
  MetricsSnapshot s;
  s.label_observed = "false";
  const std::string text = render_metrics(s);
  for (const char* v : {"true", "absent", "other"})
    EXPECT_NE(text.find("azure_iptables_monitor_label{source=\"observed\",value=\"" +
                        std::string(v) + "\"} 0\n"),
              std::string::npos)
        << text;
  EXPECT_NE(text.find("azure_iptables_monitor_label{source=\"observed\",value=\"false\"} 1\n"),
            std::string::npos);
  // Not sent yet: no series for it, not a misleading "false".
  EXPECT_EQ(text.find("source=\"sent\""), std::string::npos);
  EXPECT_NE(text.find("azure_iptables_monitor_build_info{version=\"unknown\"} 1\n"),
            std::string::npos);
}

}  // namespace
}  // namespace aim
