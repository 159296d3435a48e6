// /healthz's decision (service/health.h) and the --listen routes
// (service/http_routes.h), and who runs the service (service/runtime.h):
// pure.
#include "service/health.h"

#include <gtest/gtest.h>

#include "service/http_routes.h"
#include "service/runtime.h"

namespace aim {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const Clock::time_point kNow = Clock::time_point(1000h);

TEST(Health, FreshLoopAndCheckAreHealthy) {
  const HealthBounds b;
  const Health h = decide_health(kNow, kNow - 1s, kNow - 1min, b);
  EXPECT_TRUE(h.ok);
  EXPECT_EQ(h.reason, "ok");
}

TEST(Health, ALoopThatStoppedTurningIsUnhealthyWhateverTheChecks) {
  const HealthBounds b;  // loop bound 10 s
  EXPECT_TRUE(decide_health(kNow, kNow - 10s, kNow, b).ok) << "at the bound: still healthy";
  const Health h = decide_health(kNow, kNow - 11s, kNow, b);
  EXPECT_FALSE(h.ok);
  EXPECT_NE(h.reason.find("event loop has not turned for 11"), std::string::npos) << h.reason;
  EXPECT_NE(h.reason.find("bound 10"), std::string::npos) << h.reason;
  EXPECT_EQ(h.reason.find('\n'), std::string::npos) << "one line";
}

TEST(Health, NoCheckWithinItsBoundIsUnhealthyThoughTheLoopTurns) {
  HealthBounds b;
  b.check = 6min;
  EXPECT_TRUE(decide_health(kNow, kNow, kNow - 6min, b).ok);
  const Health h = decide_health(kNow, kNow, kNow - 6min - 1s, b);
  EXPECT_FALSE(h.ok);
  EXPECT_NE(h.reason.find("no check has finished for"), std::string::npos) << h.reason;
}

TEST(Health, AStampFromTheFutureIsNotAnAgeOfItsOwn) {
  const HealthBounds b;
  EXPECT_TRUE(decide_health(kNow, kNow + 1h, kNow + 1h, b).ok);
}

TEST(Health, BoundsFollowTheIntervalWithAFloorAndTheCheckBudget) {
  // --interval 300 (the DaemonSet's): 2 x 300 s + the budget.
  EXPECT_EQ(health_bounds(300, 60s).check, Clock::duration(660s));
  // A short interval does not make a slow read a restart: the floor.
  EXPECT_EQ(health_bounds(1, 60s).check, Clock::duration(kMinCheckSpacing + 60s));
  EXPECT_EQ(health_bounds(1, 60s).loop, Clock::duration(10s));
}

HttpReply ask(std::string_view method, std::string_view path, bool healthy = true) {
  return answer_request(
      method, path,
      [healthy] {
        return Health{healthy, healthy ? "ok" : "stuck"};
      },
      [] { return std::string("azure_iptables_monitor_build_info 1\n"); });
}

TEST(HttpRoutes, HealthzIs200OkOr503WithTheReason) {
  HttpReply ok = ask("GET", "/healthz");
  EXPECT_EQ(ok.status, 200u);
  EXPECT_EQ(ok.body, "ok\n");
  HttpReply bad = ask("GET", "/healthz", false);
  EXPECT_EQ(bad.status, 503u);
  EXPECT_EQ(bad.body, "stuck\n");
}

TEST(HttpRoutes, MetricsAreTheRenderersTextInTheExpositionContentType) {
  for (const char* method : {"GET", "HEAD"}) {
    HttpReply r = ask(method, "/metrics");
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(r.body, "azure_iptables_monitor_build_info 1\n");
  }
}

TEST(HttpRoutes, OtherPathsAre404AndOtherMethods405) {
  EXPECT_EQ(ask("GET", "/").status, 404u);
  EXPECT_EQ(ask("GET", "/healthz/").status, 404u) << "matched whole";
  EXPECT_EQ(ask("GET", "/metricsx").status, 404u);
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "get", ""}) {
    HttpReply r = ask(method, "/healthz");
    EXPECT_EQ(r.status, 405u) << method;
    EXPECT_TRUE(r.allow_header);
  }
}

TEST(Runtime, TheImageSaysPodSystemdSaysUnitElseByHand) {
  EXPECT_EQ(*runtime_from("pod", nullptr), Runtime::Pod);
  EXPECT_EQ(*runtime_from("pod", "abc"), Runtime::Pod);
  EXPECT_EQ(*runtime_from(nullptr, "abc"), Runtime::Unit);
  EXPECT_EQ(*runtime_from("", "abc"), Runtime::Unit);
  EXPECT_EQ(*runtime_from(nullptr, ""), Runtime::Manual);
  auto unknown = runtime_from("docker", nullptr);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("AIM_RUNTIME=docker"), std::string::npos);
}

TEST(Runtime, APodIsToldOfTheDownwardApiAndTheKubeletNotTheEnvironmentFile) {
  const std::string pod = node_name_hint(Runtime::Pod, "/etc/x/environment");
  EXPECT_NE(pod.find("downward API"), std::string::npos) << pod;
  EXPECT_NE(pod.find("spec.nodeName"), std::string::npos) << pod;
  EXPECT_EQ(pod.find("/etc/"), std::string::npos) << pod;
  const std::string unit = node_name_hint(Runtime::Unit, "/etc/x/environment");
  EXPECT_NE(unit.find("/etc/x/environment"), std::string::npos) << unit;
  EXPECT_EQ(config_exit_note(Runtime::Unit), "Not restarting (exit status 78).");
  EXPECT_EQ(config_exit_note(Runtime::Pod).find("Not restarting"), std::string::npos);
  EXPECT_NE(config_exit_note(Runtime::Pod).find("DaemonSet"), std::string::npos);
  EXPECT_EQ(who_restarts(Runtime::Pod), "the kubelet restarts the container");
  EXPECT_EQ(who_restarts(Runtime::Unit), "systemd restarts the service");
  EXPECT_EQ(who_restarts(Runtime::Manual), "");
}

}  // namespace
}  // namespace aim
