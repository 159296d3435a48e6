// --listen: /healthz and /metrics served by the real binary on its server
// thread, answered from what the loop published; /healthz fails while the
// loop thread is blocked (the AIM_TEST_HOOKS=1 SIGUSR2 hook) and recovers.
// And the service in a pod (AIM_RUNTIME=pod, as the image sets it) names the
// pod's levers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "daemon_fixture.h"
#include "require.h"

namespace aim {
namespace {

using namespace std::chrono_literals;
using test::DaemonTest;
using test::kEvent;
using test::quote;
using test::run;

// A port free now on `family`'s loopback (the kernel's pick, released).
int free_port(int family = AF_INET) {
  const int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
  }
  int port = -1;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    port = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                    : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (fd >= 0) close(fd);
  return port;
}

struct Answer {
  int status = 0;  // 0: no answer
  std::string body;
  std::string content_type;
};

// One request with curl (bounded), as a probe or a scraper sends it.
Answer get(const std::string& url, const std::string& method = "GET") {
  const std::string head = method == "HEAD" ? " -I" : " -X " + method;
  const auto r = run("curl -sg --max-time 5" + head + " -o /tmp/aim-listen-body.$$ -w " +
                     quote("%{http_code} %{content_type}") + " " + quote(url) +
                     "; echo; cat /tmp/aim-listen-body.$$ 2>/dev/null; rm -f "
                     "/tmp/aim-listen-body.$$");
  Answer a;
  const size_t nl = r.out.find('\n');
  const std::string first = r.out.substr(0, nl);
  a.status = std::atoi(first.c_str());
  const size_t space = first.find(' ');
  if (space != std::string::npos) a.content_type = first.substr(space + 1);
  if (nl != std::string::npos) a.body = r.out.substr(nl + 1);
  return a;
}

bool have_curl() { return run("command -v curl >/dev/null").status == 0; }

class ListenTest : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    if (!ready()) return;
    if (!have_curl()) AIM_REQUIRE_OR_SKIP("curl is not installed (scripts/install-deps.sh)");
  }
};

TEST_F(ListenTest, HealthzAndMetricsAreServedAndHealthzFailsWhileTheLoopIsBlocked) {
  if (!ready()) return;
  if (run("command -v promtool >/dev/null").status != 0)
    AIM_REQUIRE_OR_SKIP(
        "promtool not installed (Debian package prometheus; scripts/install-deps.sh)");
  const int port = free_port();
  ASSERT_GT(port, 0);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  env_ = {{"AIM_TEST_HOOKS", "1"}};
  start({"--listen", "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(wait_for([&] { return get(base + "/healthz").status == 200; }, kEvent))
      << daemon_log();
  ASSERT_TRUE(wait_for_checks(1)) << daemon_log();
  Answer ok = get(base + "/healthz");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "ok\n");

  Answer metrics = get(base + "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics.body.find("azure_iptables_monitor_verdict{verdict=\"clean\"} 1\n"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("azure_iptables_monitor_allowlist_patterns{family=\"ipv4\"} "),
            std::string::npos)
      << metrics.body;
  // Prometheus' own linter accepts what a scraper gets.
  {
    const std::string file = server_->dir() + "/scraped.prom";
    std::ofstream(file) << metrics.body;
    const auto lint = run("promtool check metrics < " + quote(file) + " 2>&1");
    EXPECT_EQ(lint.status, 0) << lint.out;
    EXPECT_EQ(lint.out, "") << lint.out;
  }
  EXPECT_EQ(get(base + "/metrics", "HEAD").status, 200);
  EXPECT_EQ(get(base + "/", "GET").status, 404);
  EXPECT_EQ(get(base + "/healthz", "POST").status, 405);
  EXPECT_EQ(get(base + "/healthz?x=1").status, 200) << "a query string is not the path";

  // The loop thread sleeps (the hook); the server thread answers, from the
  // heartbeat the loop no longer stamps: 503 within the loop's bound
  // (10 s), then 200 again once the loop runs.
  const auto blocked_at = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(pid_, SIGUSR2), 0);
  Answer stuck;
  ASSERT_TRUE(wait_for(
      [&] {
        stuck = get(base + "/healthz");
        return stuck.status == 503;
      },
      kEvent))
      << stuck.status << " " << stuck.body << daemon_log();
  EXPECT_GE(std::chrono::steady_clock::now() - blocked_at, 9s) << "not before the loop's bound";
  EXPECT_NE(stuck.body.find("the event loop has not turned for"), std::string::npos) << stuck.body;
  EXPECT_EQ(std::count(stuck.body.begin(), stuck.body.end(), '\n'), 1) << "one line";
  // /metrics is still answered while the loop is blocked.
  EXPECT_EQ(get(base + "/metrics").status, 200);
  EXPECT_TRUE(wait_for([&] { return get(base + "/healthz").status == 200; }, kEvent))
      << daemon_log();
  EXPECT_NE(daemon_log().find("test hook: blocking the event loop"), std::string::npos);
  expect_prompt_clean_stop();
}

// An address that is not ADDRESS:PORT is refused when parsed (exit 78,
// naming the option and the form); one that cannot be bound stops the
// service at start (exit 1: a port in use may free up). IPv6 works.
TEST_F(ListenTest, BadAddressesAreRefusedAtStartAndIPv6Serves) {
  if (!ready()) return;
  const std::string service = quote(test::binary_path()) + " --backend legacy --node-name node1 " +
                              "--kubeconfig " + quote(kubeconfig_) + " --input " + quote(allow_);
  for (const char* bad : {"127.0.0.1", "localhost:9000", "::1:9000", "127.0.0.1:0"}) {
    const auto r = run("timeout 30 " + service + " --listen " + quote(bad) + " 2>&1; echo rc=$?");
    EXPECT_NE(r.out.find("rc=78"), std::string::npos) << bad << ": " << r.out;
    EXPECT_NE(r.out.find("--listen"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("ADDRESS:PORT"), std::string::npos) << r.out;
  }
  // In use: the server binds before anything else starts.
  const int taken = free_port();
  const auto in_use =
      run("python3 -c " +
          quote("import socket,subprocess,sys\n"
                "s=socket.socket(); s.bind(('127.0.0.1'," +
                std::to_string(taken) +
                ")); s.listen()\n"
                "sys.exit(subprocess.call(sys.argv[1], shell=True))") +
          " " +
          quote("timeout 30 " + service + " --listen 127.0.0.1:" + std::to_string(taken) +
                " 2>&1; echo rc=$?"));
  EXPECT_NE(in_use.out.find("rc=1\n"), std::string::npos) << in_use.out;
  EXPECT_NE(in_use.out.find("cannot listen on 127.0.0.1:" + std::to_string(taken) +
                            ": the port is in use"),
            std::string::npos)
      << in_use.out;
  // A host address this machine does not have.
  const auto not_ours = run("timeout 30 " + service + " --listen 192.0.2.1:9871 2>&1; echo rc=$?");
  EXPECT_NE(not_ours.out.find("not an address of this host"), std::string::npos) << not_ours.out;

  const int port6 = free_port(AF_INET6);
  if (port6 <= 0) GTEST_SKIP() << "no IPv6 loopback in this namespace";
  start({"--listen", "[::1]:" + std::to_string(port6)});
  EXPECT_TRUE(wait_for(
      [&] { return get("http://[::1]:" + std::to_string(port6) + "/healthz").status == 200; },
      kEvent))
      << daemon_log();
  EXPECT_NE(daemon_log().find("serving /metrics and /healthz on http://[::1]:"), std::string::npos);
  expect_prompt_clean_stop();
}

// In a pod (AIM_RUNTIME=pod, which the image sets), an allowlist directory
// without patterns names the ConfigMap the DaemonSet mounts there, and the
// gauge says 0; by hand or under systemd, the option. The verdict fails
// closed either way: every rule unexpected, labelled true.
TEST_F(ListenTest, AnEmptyAllowlistNamesTheConfigMapInAPodAndTheOptionElsewhere) {
  if (!ready()) return;
  const std::string empty = server_->dir() + "/empty";
  ASSERT_EQ(run("mkdir -p " + quote(empty)).status, 0);
  allow_ = empty;
  const int port = free_port();
  env_ = {{"AIM_RUNTIME", "pod"}};
  start({"--listen", "127.0.0.1:" + std::to_string(port), "--interval", "3600"});
  ASSERT_TRUE(wait_for([&] { return label() == "true"; }, kEvent)) << daemon_log();
  std::string log = daemon_log();
  EXPECT_NE(log.find("no IPv4 allowlist patterns: the directory " + empty), std::string::npos)
      << log;
  EXPECT_NE(log.find("create the ConfigMap the DaemonSet mounts there (allowed-iptables-patterns"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("--input"), std::string::npos) << log;
  const Answer metrics = get("http://127.0.0.1:" + std::to_string(port) + "/metrics");
  EXPECT_NE(metrics.body.find("azure_iptables_monitor_allowlist_patterns{family=\"ipv4\"} 0\n"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("azure_iptables_monitor_allowlist_problems 1\n"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("azure_iptables_monitor_verdict{verdict=\"unexpected\"} 1\n"),
            std::string::npos)
      << metrics.body;
  expect_prompt_clean_stop();

  env_.clear();
  std::remove(log_.c_str());  // the first run's lines would answer the wait below
  start({"--interval", "3600"});
  ASSERT_TRUE(
      wait_for([&] { return daemon_log().find("no IPv4 allowlist") != std::string::npos; }, kEvent))
      << daemon_log();
  log = daemon_log();
  EXPECT_NE(log.find("put the allowlist files there (one per table and `global`) or point --input"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("ConfigMap"), std::string::npos) << log;
  expect_prompt_clean_stop();
}

// A pod without NODE_NAME is told of the downward API and the DaemonSet, not
// of an environment file or systemd; by hand, the environment file.
TEST_F(ListenTest, APodWithoutNodeNameIsToldOfTheDownwardApi) {
  if (!ready()) return;
  const std::string service = quote(test::binary_path()) + " --backend legacy";
  const auto pod =
      run("env -u NODE_NAME -u KUBECONFIG AIM_RUNTIME=pod " + service + " 2>&1; echo rc=$?");
  EXPECT_NE(pod.out.find("rc=78"), std::string::npos) << pod.out;
  EXPECT_NE(pod.out.find("no node name: set NODE_NAME from the downward API"), std::string::npos)
      << pod.out;
  EXPECT_NE(pod.out.find("spec.nodeName"), std::string::npos) << pod.out;
  EXPECT_EQ(pod.out.find("/etc/"), std::string::npos) << pod.out;
  EXPECT_EQ(pod.out.find("Not restarting"), std::string::npos) << pod.out;
  const auto by_hand =
      run("env -u NODE_NAME -u KUBECONFIG -u INVOCATION_ID " + service + " 2>&1; echo rc=$?");
  EXPECT_NE(
      by_hand.out.find("no node name: set NODE_NAME (in /etc/azure-iptables-monitor/environment)"),
      std::string::npos)
      << by_hand.out;
  const auto unknown = run("AIM_RUNTIME=docker " + service + " --node-name node1 2>&1; echo rc=$?");
  EXPECT_NE(unknown.out.find("AIM_RUNTIME=docker: unknown"), std::string::npos) << unknown.out;
  EXPECT_NE(unknown.out.find("rc=78"), std::string::npos) << unknown.out;
}

}  // namespace
}  // namespace aim
