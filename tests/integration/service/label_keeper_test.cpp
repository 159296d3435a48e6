// The service's cluster side alone (service/label_keeper.h): a verdict
// handed to it reaches the CiliumNode, the watch brings another client's
// change back to the Reconciler, and the Daemon hears of both; against the
// test API server over real TLS, on a real sd-event loop. No root.
#include "service/label_keeper.h"

#include <gtest/gtest.h>
#include <systemd/sd-event.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "kube/events.h"
#include "require.h"
#include "test_apiserver.h"

namespace aim {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class LabelKeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<test::TestApiServer>();
    if (!server_->running())
      AIM_REQUIRE_OR_SKIP("test API server unavailable: " + server_->error());
    server_->add_node1();
    options_.node_name = "node1";
    options_.kubeconfig = server_->write_kubeconfig("node1");
    sd_event* e = nullptr;
    ASSERT_GE(sd_event_new(&e), 0);
    loop_.reset(e);
  }
  void TearDown() override {
    stopping_ = true;
    if (keeper_) keeper_->stop();
    keeper_.reset();
  }
  void start() {
    keeper_ = std::make_unique<LabelKeeper>(
        options_, log_, metrics_, stopping_, [this] { ++changed_; },
        [this](int r, const char* what) {
          loop_errors_ += std::string(what) + " (" + std::to_string(r) + ")\n";
        });
    ASSERT_TRUE(keeper_->start(loop_.get(), [this](const std::string& what) { faults_ += what; }));
  }
  // Runs the loop until `done` or 30 s (a bound for "never").
  bool run_until(const std::function<bool()>& done) {
    const auto until = Clock::now() + 30s;
    while (!done() && Clock::now() < until) sd_event_run(loop_.get(), 50000);
    return done();
  }
  static Report report(Verdict verdict) {
    Report r;
    r.verdict = verdict;
    return r;
  }

  std::unique_ptr<test::TestApiServer> server_;
  ServiceOptions options_;
  Logger log_{-1, false};
  MetricsWriter metrics_{"", "0.0.0-test", log_};
  std::atomic<bool> stopping_{false};
  EventLoop loop_;
  std::unique_ptr<LabelKeeper> keeper_;
  int changed_ = 0;
  std::string loop_errors_, faults_;
};

TEST_F(LabelKeeperTest, AVerdictIsLabelledAndALabelAnotherClientRemovesIsSetBack) {
  start();
  // The watch's first list tells what the object holds.
  ASSERT_TRUE(run_until([&] { return keeper_->state().watching(); }));
  keeper_->checked(report(Verdict::Clean));
  ASSERT_TRUE(run_until([&] { return server_->label() == "false"; })) << server_->label();
  ASSERT_TRUE(run_until([&] { return keeper_->state().label_settled(); }));
  const int changes_before = changed_;
  EXPECT_GT(changes_before, 0) << "the Daemon was never told the label moved";

  // Another client removes it: the watch sees it and the label is set back.
  server_->set_ciliumnode_label("node1", kLabelKey, Json::Value());
  ASSERT_TRUE(run_until([&] { return server_->label() == "false"; })) << server_->label();
  EXPECT_GT(changed_, changes_before);
  EXPECT_EQ(loop_errors_, "");
  EXPECT_EQ(faults_, "");
}

TEST_F(LabelKeeperTest, WithoutAWatchUnexpectedRulesAreLabelledTrueAfterTheCheck) {
  options_.watch_ciliumnode = false;
  start();
  EXPECT_FALSE(keeper_->state().watching());
  keeper_->checked(report(Verdict::Unexpected));
  ASSERT_TRUE(run_until([&] { return server_->label() == "true"; })) << server_->label();
  ASSERT_TRUE(run_until([&] { return keeper_->state().label_settled(); }));
  // No watch was opened: only a read and the PATCH.
  EXPECT_EQ(server_->count_requests("GET", "/apis/cilium.io/v2/ciliumnodes?"), 0u);
}

TEST_F(LabelKeeperTest, AFailedPatchIsSentAgainByTheRetryTimer) {
  options_.watch_ciliumnode = false;
  // No patch grant: the PATCH is refused (403, not retried by the client);
  // once granted, only the retry timer can send it again.
  Json::Value grant;
  grant["user"] = "system:node:node1";
  grant["verb"] = "patch";
  grant["resource"] = "ciliumnodes";
  server_->control("POST", "/_test/deny", grant);
  start();
  keeper_->checked(report(Verdict::Unexpected));
  const std::string patch = "/apis/cilium.io/v2/ciliumnodes/node1";
  ASSERT_TRUE(run_until([&] { return server_->count_requests("PATCH", patch) >= 1; }));
  EXPECT_EQ(server_->label(), "");
  server_->allow("system:node:node1", "patch", "ciliumnodes");
  ASSERT_TRUE(run_until([&] { return server_->label() == "true"; })) << server_->label();
  EXPECT_GE(server_->count_requests("PATCH", patch), 2u);
  EXPECT_EQ(loop_errors_, "");
}

}  // namespace
}  // namespace aim
