// `check` end to end with the cluster: real rules in a private namespace, the
// test API server over real HTTPS inside the same namespace.
#include <gtest/gtest.h>
#include <json/json.h>

#include <cstdlib>

#include "netns.h"
#include "node1_cluster_test.h"

namespace aim {
namespace {

using test::run;

class CheckClusterTest : public test::Node1ClusterTest {
 protected:
  // Runs check with the kube-proxy allowlist; returns "STDOUT+STDERR\nrc=N".
  std::string check(const std::string& args) {
    return run(test::quote(test::binary_path()) + " check --backend legacy --input " +
               test::quote(std::string(AIM_ALLOWLIST_DIR) + "/kube-proxy-node") + " " + args +
               " 2>&1; echo \"rc=$?\"")
        .out;
  }
  size_t patches() {
    size_t n = 0;
    for (const auto& r : server_->requests()) n += r["method"].asString() == "PATCH";
    return n;
  }
};

TEST_F(CheckClusterTest, UnexpectedRuleLabelsTrueWithAnEventThenCleanLabelsFalse) {
  std::string out = check("--kubeconfig " + kubeconfig_ + " --node-name node1 --events");
  EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
  EXPECT_EQ(label(), "true");
  Json::Value events = server_->state()["events"];
  ASSERT_EQ(events.size(), 1u) << out;
  const Json::Value& e = events[events.getMemberNames()[0]];
  EXPECT_EQ(e["reason"].asString(), "UnexpectedIPTablesRules");
  EXPECT_NE(e["message"].asString().find("--comment \"added by hand\""), std::string::npos);

  ASSERT_EQ(run("iptables-legacy -D INPUT 5").status, 0);
  out = check("--kubeconfig " + kubeconfig_ + " --node-name node1 --events");
  EXPECT_NE(out.find("rc=0"), std::string::npos) << out;
  EXPECT_EQ(label(), "false");
}

TEST_F(CheckClusterTest, NodeNameComesFromTheEnvironment) {
  const std::string out = run("NODE_NAME=node1 " + test::quote(test::binary_path()) +
                              " check --backend legacy --input /nonexistent --kubeconfig " +
                              kubeconfig_ + " 2>&1; echo rc=$?")
                              .out;
  EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
  EXPECT_EQ(label(), "true");
}

TEST_F(CheckClusterTest, UnknownVerdictNeverPatches) {
  const std::string dir = server_->dir() + "/allow-all";
  run("mkdir -p " + dir + " && printf '.*\\n' > " + dir + "/global");
  const std::string out =
      run("setpriv --inh-caps=-all --bounding-set=-net_admin,-net_raw " +
          test::quote(test::binary_path()) + " check --backend legacy --input " + dir +
          " --kubeconfig " + kubeconfig_ + " --node-name node1 2>&1; echo rc=$?")
          .out;
  EXPECT_NE(out.find("verdict: unknown"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=2"), std::string::npos) << out;
  EXPECT_EQ(patches(), 0u) << "an unknown verdict must never send a label";
}

TEST_F(CheckClusterTest, DryRunSendsNothingAndShowsTheRequest) {
  const std::string out =
      check("--dry-run --kubeconfig " + kubeconfig_ + " --node-name node1 --events");
  EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
  EXPECT_NE(out.find("would send PATCH " + server_->url() + "/apis/cilium.io/v2/ciliumnodes/node1"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\"kubernetes.azure.com/user-iptables-rules\":\"true\""), std::string::npos);
  EXPECT_EQ(server_->requests().size(), 0u);
}

TEST_F(CheckClusterTest, MissingNodeNameIsAConfigurationError) {
  const std::string out = check("--kubeconfig " + kubeconfig_);
  EXPECT_NE(out.find("no node name"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=78"), std::string::npos) << out;
}

TEST_F(CheckClusterTest, ForbiddenIsAnErrorThatNamesTheFix) {
  const std::string other = server_->write_kubeconfig("other");
  const std::string out = check("--kubeconfig " + other + " --node-name node1");
  EXPECT_NE(out.find("rc=2"), std::string::npos) << out;
  EXPECT_NE(out.find("403 Forbidden"), std::string::npos) << out;
  EXPECT_NE(out.find("RBAC"), std::string::npos) << out;
}

TEST_F(CheckClusterTest, KubeconfigThatDoesNotExistYetIsAwaited) {
  const std::string out = check("--kubeconfig /nonexistent/kubeconfig --node-name node1");
  EXPECT_NE(out.find("does not exist yet"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=2"), std::string::npos) << out;
}

TEST_F(CheckClusterTest, NodeNameThatIsAPathIsAConfigurationErrorAndNothingIsSent) {
  const std::string bad = "node1/../../../api/v1/namespaces/kube-system/secrets/x";
  std::string out = check("--kubeconfig " + kubeconfig_ + " --node-name " + test::quote(bad));
  EXPECT_NE(out.find("rc=78"), std::string::npos) << out;
  EXPECT_NE(out.find("is not a valid Kubernetes node name"), std::string::npos) << out;
  // From the environment, and with --dry-run, alike.
  out = run("NODE_NAME=Node1 " + test::quote(test::binary_path()) +
            " check --dry-run --backend legacy --input /nonexistent --kubeconfig " + kubeconfig_ +
            " 2>&1; echo rc=$?")
            .out;
  EXPECT_NE(out.find("rc=78"), std::string::npos) << out;
  EXPECT_NE(out.find("node name \"Node1\""), std::string::npos) << out;
  EXPECT_EQ(server_->requests().size(), 0u);
}

TEST_F(CheckClusterTest, APasswordInTheServerUrlIsNeverShownNorSent) {
  // A kubeconfig whose server carries basic-auth credentials.
  const std::string with_password = server_->dir() + "/kubeconfig-password";
  ASSERT_EQ(run("sed 's|server: https://|server: https://admin:s3cret@|' " + kubeconfig_ + " > " +
                with_password)
                .status,
            0);
  for (const std::string& args : {std::string("--dry-run "), std::string()}) {
    const std::string out = check(args + "--kubeconfig " + with_password + " --node-name node1");
    EXPECT_EQ(out.find("s3cret"), std::string::npos) << out;
    EXPECT_NE(out.find("has a user name or password in it"), std::string::npos) << out;
  }
  EXPECT_EQ(server_->requests().size(), 0u);
}

}  // namespace
}  // namespace aim
