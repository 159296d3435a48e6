// `check` end to end with the cluster: real rules in a private namespace, the
// test API server over real HTTPS inside the same namespace.
#include <gtest/gtest.h>
#include <json/json.h>
#include <unistd.h>

#include <chrono>
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

// No NODE_NAME: the kubelet's client certificate (CN=system:node:node1)
// names the node.
TEST_F(CheckClusterTest, WithoutANodeNameTheNodesCertificateNamesIt) {
  const std::string out = check("--kubeconfig " + kubeconfig_ + " -v 2");
  EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
  EXPECT_NE(out.find("node node1, named by the client certificate of " + kubeconfig_),
            std::string::npos)
      << out;
  EXPECT_EQ(label(), "true");
}

TEST_F(CheckClusterTest, MissingNodeNameIsAConfigurationError) {
  const std::string out = check("--kubeconfig /nonexistent/kubeconfig");
  EXPECT_NE(out.find("no node name: NODE_NAME is not set and kubeconfig /nonexistent/kubeconfig "
                     "does not exist yet"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("rc=78"), std::string::npos) << out;
  EXPECT_EQ(server_->requests().size(), 0u);
}

class UnlabelTest : public test::Node1ClusterTest {
 protected:
  std::string unlabel(const std::string& args) {
    return run(test::quote(test::binary_path()) + " unlabel " + args + " 2>&1; echo \"rc=$?\"").out;
  }
  bool has_label() { return server_->state()["ciliumnodes"]["node1"].isMember(kLabel); }
  static constexpr const char* kLabel = "kubernetes.azure.com/user-iptables-rules";
};

TEST_F(UnlabelTest, RemovesTheLabelWithTheNodesOwnCredentialsAndKeepsTheRest) {
  server_->set_ciliumnode_label("node1", kLabel, "false");
  server_->set_ciliumnode_label("node1", "other", "kept");
  // No node name: the certificate names it.
  std::string out = unlabel("--kubeconfig " + kubeconfig_);
  EXPECT_NE(out.find("rc=0"), std::string::npos) << out;
  EXPECT_NE(out.find("removed the label kubernetes.azure.com/user-iptables-rules of CiliumNode "
                     "node1 (the node named by the client certificate of " +
                     kubeconfig_ + ")"),
            std::string::npos)
      << out;
  EXPECT_FALSE(has_label()) << server_->state();
  EXPECT_EQ(server_->state()["ciliumnodes"]["node1"]["other"].asString(), "kept");
  const Json::Value requests = server_->requests();
  ASSERT_EQ(requests.size(), 1u) << requests;
  EXPECT_EQ(requests[0]["method"].asString(), "PATCH");
  EXPECT_EQ(requests[0]["path"].asString(), "/apis/cilium.io/v2/ciliumnodes/node1");
  EXPECT_EQ(requests[0]["content_type"].asString(), "application/merge-patch+json");
  EXPECT_EQ(requests[0]["body"].asString(),
            "{\"metadata\":{\"labels\":{\"kubernetes.azure.com/user-iptables-rules\":null}}}");
  EXPECT_EQ(requests[0]["user"].asString(), "system:node:node1");

  // Again: nothing there, nothing wrong.
  out = unlabel("--kubeconfig " + kubeconfig_ + " --node-name node1");
  EXPECT_NE(out.find("rc=0"), std::string::npos) << out;
  EXPECT_EQ(out.find("(the node named by"), std::string::npos) << "given, not found: " << out;

  server_->delete_ciliumnode("node1");
  out = unlabel("--kubeconfig " + kubeconfig_);
  EXPECT_NE(out.find("rc=0"), std::string::npos) << out;
  EXPECT_NE(out.find("CiliumNode node1 does not exist: there is no label to remove"),
            std::string::npos)
      << out;
}

TEST_F(UnlabelTest, WhenItCannotItSaysWhyAndWhatToRunInstead) {
  server_->set_ciliumnode_label("node1", kLabel, "true");
  const std::string other = server_->write_kubeconfig("other");
  std::string out = unlabel("--kubeconfig " + other + " --node-name node1");
  EXPECT_NE(out.find("rc=2"), std::string::npos) << out;
  EXPECT_NE(out.find("403 Forbidden"), std::string::npos) << out;
  EXPECT_NE(out.find("remove it from a machine with access to the cluster: kubectl label "
                     "ciliumnode node1 kubernetes.azure.com/user-iptables-rules-"),
            std::string::npos)
      << out;
  EXPECT_EQ(label(), "true");

  // No node name and no credentials to take one from.
  out = unlabel("--kubeconfig /nonexistent/kubeconfig");
  EXPECT_NE(out.find("rc=2"), std::string::npos) << out;
  EXPECT_NE(out.find("could not remove the label: no node name"), std::string::npos) << out;
  EXPECT_NE(out.find("kubectl label ciliumnode NODE kubernetes.azure.com/user-iptables-rules-"),
            std::string::npos)
      << out;

  // A host with no credentials at all (an unconfigured install): the service
  // cannot have labelled from it, so there is nothing to remove.
  if (access("/var/lib/kubelet/kubeconfig", F_OK) != 0 &&
      access("/etc/kubernetes/kubelet.conf", F_OK) != 0) {
    out = run("env -u NODE_NAME -u KUBECONFIG -u KUBERNETES_SERVICE_HOST " +
              test::quote(test::binary_path()) + " unlabel 2>&1; echo \"rc=$?\"")
              .out;
    EXPECT_NE(out.find("rc=0"), std::string::npos) << out;
    EXPECT_NE(out.find("the service cannot have labelled a node from here; nothing removed"),
              std::string::npos)
        << out;
  }
  EXPECT_EQ(label(), "true");
}

// Package removal waits for it: a server that does not answer costs at most
// about twice --request-timeout.
TEST_F(UnlabelTest, AServerThatDoesNotAnswerIsGivenUpOnQuickly) {
  server_->fault([] {
    Json::Value f;
    f["delay"] = 30;
    f["count"] = 10;  // every retry too
    return f;
  }());
  const auto started = std::chrono::steady_clock::now();
  const std::string out = unlabel("--kubeconfig " + kubeconfig_ + " --request-timeout 1");
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_NE(out.find("rc=2"), std::string::npos) << out;
  EXPECT_NE(out.find("kubectl label ciliumnode node1"), std::string::npos) << out;
  EXPECT_LT(took, std::chrono::seconds(5)) << out;
}

// The kubeconfig here lives under /tmp, which the service's unit replaces
// with a private one: a command run by hand says the service could not see
// it.
TEST_F(CheckClusterTest, ACommandWarnsAboutAPathTheServiceCannotSee) {
  ASSERT_EQ(kubeconfig_.rfind("/tmp/", 0), 0u) << kubeconfig_;
  const std::string out = check("--dry-run --kubeconfig " + kubeconfig_ + " --node-name node1");
  // One line for every path under /tmp.
  const std::string pki = server_->pki();
  EXPECT_NE(out.find("warning: the service cannot see kubeconfig " + kubeconfig_ +
                     ", certificate-authority " + pki + "/ca.crt, client-certificate " + pki +
                     "/node1.crt, client-key " + pki +
                     "/node1.key: the unit gives the service a private /tmp (PrivateTmp=yes)"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("warning: the service cannot see"),
            out.rfind("warning: the service cannot see"))
      << out;
  // Elsewhere: nothing to say.
  const std::string here = "/var/lib/aim-test-" + std::to_string(getpid());
  ASSERT_EQ(
      run("mkdir -p " + here + " && cp -r " + server_->pki() + " " + here +
          "/pki && sed "
          "'s|" +
          server_->pki() + "|" + here + "/pki|g' " + kubeconfig_ + " > " + here + "/kubeconfig")
          .status,
      0);
  const std::string quiet =
      check("--dry-run --kubeconfig " + here + "/kubeconfig --node-name node1");
  run("rm -rf " + here);
  EXPECT_EQ(quiet.find("the service cannot see"), std::string::npos) << quiet;
  EXPECT_NE(quiet.find("would send PATCH"), std::string::npos) << quiet;
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
