#pragma once
// Fixture base for tests that run the program against a cluster: a private
// network namespace of their own (lo up), the test API server in it holding
// node1 (add_node1), the sample node's rules loaded with iptables-legacy, and
// a kubeconfig for node1's client certificate. Skips, saying why, without
// root or without the server.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "netns.h"
#include "test_apiserver.h"
#include "require.h"

namespace aim::test {

class Node1ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = enter_fresh_netns();
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
    ASSERT_EQ(run("ip link set lo up").status, 0);
    server_ = std::make_unique<TestApiServer>();
    if (!server_->running()) AIM_REQUIRE_OR_SKIP(std::string() + "test API server unavailable: " + server_->error());
    server_->add_node1();
    ASSERT_EQ(load_legacy_fixture(fixture_path("sample-node.v4.rules"), Family::V4), "");
    kubeconfig_ = server_->write_kubeconfig("node1");
  }
  // False when SetUp skipped or failed: a derived SetUp stops there.
  bool ready() const { return !IsSkipped() && !HasFatalFailure(); }
  std::string label() { return server_->label(); }

  std::unique_ptr<TestApiServer> server_;
  std::string kubeconfig_;
};

}  // namespace aim::test
