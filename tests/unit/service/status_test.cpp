#include "service/status.h"

#include <gtest/gtest.h>

namespace aim {
namespace {

// The line as a check with no trigger and no watch shows it.
std::string status_line(const Report& report, const LabelDecision& label, bool cluster,
                        const std::string& label_error, std::time_t next) {
  StatusContext context;
  context.cluster_enabled = cluster;
  context.label_error = label_error;
  context.next_check = next;
  return aim::status_line(report, label, context);
}

TEST(StatusLine, SaysWhatWatchesAndTriggeredAndAllowlistProblems) {
  Report report;
  report.verdict = Verdict::Clean;
  report.lines_checked = 12;
  StatusContext context;
  context.watching = true;
  context.allowlist_problems = 2;
  context.trigger = "allowlist change";
  const std::string line = aim::status_line(report, LabelDecision{false}, context);
  EXPECT_EQ(line.rfind("clean (12 lines allowed); label false (watched); 2 allowlist problems (see "
                       "the journal); checked on allowlist change; next check ",
                       0),
            0u)
      << line;
}

// Issue 15: the STATUS= error text was cut mid-path at 160 bytes.
TEST(StatusLine, ALongReadErrorIsCutBetweenWordsWithAnEllipsis) {
  const std::string path = "/sys/fs/bpf/azure-block-iptables/iptables_block_event_counter";
  Report report;
  report.verdict = Verdict::Unknown;
  std::string error = "legacy ipv4 table nat:";
  while (error.size() < 180) error += " cannot open " + path + ";";
  report.errors = {error};
  const std::string line = status_line(report, LabelDecision{}, true, "", 0);
  EXPECT_NE(line.find(" ...; label left as it was; next check "), std::string::npos) << line;
  // Every occurrence of the path is whole.
  const std::string cause = line.substr(0, line.find(" ...;"));
  size_t at = 0;
  size_t seen = 0;
  while ((at = cause.find("/sys/", at)) != std::string::npos) {
    EXPECT_EQ(cause.compare(at, path.size(), path), 0) << cause;
    at += 5;
    ++seen;
  }
  EXPECT_GT(seen, 0u);
}

TEST(StatusLine, AShortErrorIsWhole) {
  Report report;
  report.verdict = Verdict::Unknown;
  report.errors = {"legacy ipv4 table nat: Permission denied"};
  EXPECT_EQ(
      status_line(report, LabelDecision{}, true, "", 0)
          .rfind("cannot read legacy ipv4 table nat: Permission denied; label left as it was", 0),
      0u);
}

TEST(StatusLine, ALongLabelErrorKeepsItsURLWhole) {
  Report report;
  report.verdict = Verdict::Clean;
  const std::string url =
      "https://aks-cluster-dns-0123456789.hcp.westeurope.azmk8s.io:443/apis/"
      "cilium.io/v2/ciliumnodes/aks-nodepool1-12345678-vmss000000";
  const std::string error =
      "PATCH ciliumnodes: the API server refused the request with 403 "
      "Forbidden: the kubelet's credentials may not patch " +
      url + " (grant the ClusterRole in rbac.yaml)";
  const std::string line = status_line(report, LabelDecision{false}, true, error, 0);
  // The URL crosses the limit: it is left out whole, not cut in two.
  ASSERT_GT(error.find(url) + url.size(), 200u);
  EXPECT_EQ(line.find("https://"), std::string::npos) << line;
  EXPECT_NE(line.find("may not patch ...; next check"), std::string::npos) << line;
  EXPECT_NE(line.find("label NOT updated: PATCH ciliumnodes"), std::string::npos) << line;
}

}  // namespace
}  // namespace aim
