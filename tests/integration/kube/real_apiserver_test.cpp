// The real tier: a real kube-apiserver (v1.20.2, built from Debian 12's
// source package by tests/support/build_kube_apiserver.sh and cached) with
// Debian's etcd, client-certificate authentication and Node,RBAC
// authorization, the CiliumNode CRD and the RBAC from etc/kubernetes. All of
// it runs inside a private network namespace made by the test.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <thread>

#include "apiserver_facts.h"
#include "kube/api_errors.h"
#include "kube/http_client.h"
#include "netns.h"
#include "require.h"
#include "yaml_json.h"

namespace aim {
namespace {

using test::run;

std::string kube_apiserver_binary() {
  if (const char* env = std::getenv("AIM_KUBE_APISERVER")) return env;
  return "/var/cache/azure-iptables-monitor-tests/kube-apiserver-v1.20.2";
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::fopen(log.c_str(), "w");
    if (f) {
      dup2(fileno(f), 1);
      dup2(fileno(f), 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

class RealApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kube_apiserver_binary().c_str(), X_OK) != 0)
      AIM_REQUIRE_OR_SKIP(std::string() + "no kube-apiserver at " + kube_apiserver_binary() +
                          " (tests/support/build_kube_apiserver.sh builds it; run-tests.sh does)");
    if (access("/usr/bin/etcd", X_OK) != 0)
      AIM_REQUIRE_OR_SKIP("etcd (package etcd-server) missing");
    const std::string why = test::enter_fresh_netns();
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
    ASSERT_EQ(run("ip link set lo up").status, 0);
    char tmpl[] = "/tmp/aim-real-apiserver-XXXXXX";
    dir_ = mkdtemp(tmpl);
    pki_ = dir_ + "/pki";
    ASSERT_EQ(std::system((std::string(AIM_SUPPORT_DIR) + "/make_test_pki.sh " + pki_).c_str()), 0);
    etcd_ = spawn({"/usr/bin/etcd", "--data-dir", dir_ + "/etcd", "--listen-client-urls",
                   "http://127.0.0.1:2379", "--advertise-client-urls", "http://127.0.0.1:2379",
                   "--listen-peer-urls", "http://127.0.0.1:2380"},
                  dir_ + "/etcd.log");
    // Every request, at metadata level: the tests count what the node's
    // identity sent (what the daemon says it did is not the measure).
    std::ofstream(dir_ + "/audit-policy.yaml")
        << "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\n"
        << "rules:\n- level: Metadata\n";
    apiserver_ = spawn(
        {kube_apiserver_binary(), "--audit-policy-file=" + dir_ + "/audit-policy.yaml",
         "--audit-log-path=" + dir_ + "/audit.log", "--etcd-servers=http://127.0.0.1:2379",
         "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=6443",
         "--tls-cert-file=" + pki_ + "/server.crt",
         "--tls-private-key-file=" + pki_ + "/server.key", "--client-ca-file=" + pki_ + "/ca.crt",
         "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
         "--service-account-key-file=" + pki_ + "/sa.pub",
         "--service-account-signing-key-file=" + pki_ + "/sa.key",
         "--service-account-issuer=https://kubernetes.default.svc",
         "--service-cluster-ip-range=10.96.0.0/24", "--cert-dir=" + dir_ + "/certs"},
        dir_ + "/apiserver.log");
    admin_.server = "https://127.0.0.1:6443";
    admin_.ca_file = pki_ + "/ca.crt";
    admin_.cert_file = pki_ + "/admin.crt";
    admin_.key_file = pki_ + "/admin.key";
    bool ready = false;
    for (int i = 0; i < 240 && !ready; ++i) {
      auto r = http_.send(admin_, {"GET", "/readyz", "", ""}, true);
      ready = r && r->status == 200;
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    ASSERT_TRUE(ready) << "kube-apiserver did not become ready; see " << dir_ << "/apiserver.log";
    setup_cluster();
  }

  void TearDown() override {
    for (pid_t pid : {daemon_, apiserver_, etcd_}) {
      if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, nullptr, 0);
      }
    }
    if (!dir_.empty() && !HasFailure()) std::system(("rm -rf " + dir_).c_str());
  }

  HttpResponse admin(const std::string& method, const std::string& path, const Json::Value& body,
                     const std::string& content_type = "application/json") {
    auto r = http_.send(
        admin_, {method, path, body.isNull() ? "" : test::compact_json(body), content_type});
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error());
    return r.ok() ? *r : HttpResponse{};
  }

  Json::Value get(const std::string& path) {
    Json::Value v;
    std::istringstream in(admin("GET", path, Json::Value()).body);
    std::string errs;
    Json::parseFromStream(Json::CharReaderBuilder(), in, &v, &errs);
    return v;
  }

  void apply_manifest(const std::string& path) {
    for (const Json::Value& doc : test::yaml_documents_as_json(path)) {
      const std::string kind = doc["kind"].asString();
      std::string url;
      if (kind == "ClusterRole") url = "/apis/rbac.authorization.k8s.io/v1/clusterroles";
      if (kind == "ClusterRoleBinding")
        url = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings";
      if (kind == "CustomResourceDefinition")
        url = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
      const std::string ns = "/namespaces/" + doc["metadata"]["namespace"].asString();
      if (kind == "ServiceAccount") url = "/api/v1" + ns + "/serviceaccounts";
      if (kind == "Role") url = "/apis/rbac.authorization.k8s.io/v1" + ns + "/roles";
      if (kind == "RoleBinding") url = "/apis/rbac.authorization.k8s.io/v1" + ns + "/rolebindings";
      if (kind == "DaemonSet") url = "/apis/apps/v1" + ns + "/daemonsets";
      ASSERT_FALSE(url.empty()) << kind;
      auto r = admin("POST", url, doc);
      ASSERT_EQ(r.status, 201) << r.body;
    }
  }

  void setup_cluster() {
    apply_manifest(std::string(AIM_ETC_DIR) + "/kubernetes/ciliumnode-crd-minimal.yaml");
    Json::Value node;
    node["apiVersion"] = "v1";
    node["kind"] = "Node";
    node["metadata"]["name"] = "node1";
    ASSERT_EQ(admin("POST", "/api/v1/nodes", node).status, 201);
    node_uid_ = get("/api/v1/nodes/node1")["metadata"]["uid"].asString();
    Json::Value cn;
    cn["apiVersion"] = "cilium.io/v2";
    cn["kind"] = "CiliumNode";
    cn["metadata"]["name"] = "node1";
    cn["metadata"]["labels"]["other"] = "kept";
    // The CRD takes a moment to be served.
    long status = 0;
    for (int i = 0; i < 120 && status != 201; ++i) {
      status = admin("POST", "/apis/cilium.io/v2/ciliumnodes", cn).status;
      if (status != 201) std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    ASSERT_EQ(status, 201);
    std::ofstream(dir_ + "/kubeconfig")
        << "apiVersion: v1\nkind: Config\ncurrent-context: node\nclusters:\n- name: c\n"
        << "  cluster:\n    server: https://127.0.0.1:6443\n    certificate-authority: pki/ca.crt\n"
        << "contexts:\n- name: node\n  context:\n    cluster: c\n    user: kubelet\n"
        << "users:\n- name: kubelet\n  user:\n    client-certificate: pki/node1.crt\n"
        << "    client-key: pki/node1.key\n";
  }

  std::string check(const std::string& args) {
    return run(test::quote(test::binary_path()) + " check --backend legacy --input " +
               test::quote(std::string(AIM_ALLOWLIST_DIR) + "/kube-proxy-node") + " --kubeconfig " +
               dir_ + "/kubeconfig --node-name node1 " + args + " 2>&1; echo rc=$?")
        .out;
  }

  // Requests node1's identity made with `verb` on CiliumNodes, per the audit log.
  size_t node1_requests(const std::string& verb) {
    std::ifstream in(dir_ + "/audit.log");
    size_t n = 0;
    for (std::string line; std::getline(in, line);)
      n += line.find("\"verb\":\"" + verb + "\"") != std::string::npos &&
           line.find("\"username\":\"system:node:node1\"") != std::string::npos &&
           line.find("\"resource\":\"ciliumnodes\"") != std::string::npos;
    return n;
  }

  std::string label() {
    return get("/apis/cilium.io/v2/ciliumnodes/node1")["metadata"]["labels"]
                                                      ["kubernetes.azure.com/user-iptables-rules"]
                                                          .asString();
  }

  // Another client (cilium-agent, an admin) patches the CiliumNode.
  void admin_patch_label(const Json::Value& value) {
    Json::Value patch;
    patch["metadata"]["labels"]["kubernetes.azure.com/user-iptables-rules"] = value;
    auto r = admin("PATCH", "/apis/cilium.io/v2/ciliumnodes/node1", patch,
                   "application/merge-patch+json");
    ASSERT_EQ(r.status, 200) << r.body;
  }

  void create_ciliumnode() {
    Json::Value cn;
    cn["apiVersion"] = "cilium.io/v2";
    cn["kind"] = "CiliumNode";
    cn["metadata"]["name"] = "node1";
    ASSERT_EQ(admin("POST", "/apis/cilium.io/v2/ciliumnodes", cn).status, 201);
  }

  // The service, as the unit runs it, against this API server, writing
  // its metrics to metrics_path().
  void start_daemon(const std::string& interval, const std::string& node = "node1") {
    daemon_log_ = dir_ + "/daemon.log";
    daemon_ = spawn(
        {test::binary_path(), "--backend", "legacy", "--input",
         std::string(AIM_ALLOWLIST_DIR) + "/kube-proxy-node", "--kubeconfig", dir_ + "/kubeconfig",
         "--node-name", node, "--interval", interval, "-v", "2", "--metrics-file", metrics_path()},
        daemon_log_);
  }
  std::string metrics_path() const { return dir_ + "/aim.prom"; }
  std::string metrics() {
    std::ifstream in(metrics_path());
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  bool metrics_have(const std::string& sample) {
    return metrics().find("\nazure_iptables_monitor_" + sample) != std::string::npos;
  }
  void stop_daemon() {
    if (daemon_ <= 0) return;
    kill(daemon_, SIGTERM);
    waitpid(daemon_, nullptr, 0);
    daemon_ = -1;
  }
  std::string daemon_log() {
    std::ifstream in(daemon_log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  bool wait_for(const std::function<bool()>& cond, std::chrono::seconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return cond();
  }

  std::string dir_, pki_, node_uid_, daemon_log_;
  pid_t etcd_ = -1, apiserver_ = -1, daemon_ = -1;
  Credentials admin_;
  HttpClient http_{std::chrono::seconds(10)};
};

TEST_F(RealApiServerTest, KubeletIdentityLabelsItsCiliumNodeAndRecordsEvents) {
  apply_manifest(std::string(AIM_ETC_DIR) + "/kubernetes/rbac.yaml");
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("sample-node.v4.rules"), Family::V4), "");
  std::string out = check("--events");
  EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
  Json::Value cn = get("/apis/cilium.io/v2/ciliumnodes/node1");
  EXPECT_EQ(cn["metadata"]["labels"]["kubernetes.azure.com/user-iptables-rules"].asString(),
            "true");
  EXPECT_EQ(cn["metadata"]["labels"]["other"].asString(), "kept");

  Json::Value events = get("/api/v1/namespaces/default/events");
  ASSERT_EQ(events["items"].size(), 1u) << out;
  const Json::Value& e = events["items"][0];
  EXPECT_EQ(e["reason"].asString(), "UnexpectedIPTablesRules");
  EXPECT_EQ(e["type"].asString(), "Warning");
  EXPECT_EQ(e["involvedObject"]["uid"].asString(), node_uid_);
  EXPECT_NE(e["message"].asString().find("added by hand"), std::string::npos);

  ASSERT_EQ(run("iptables-legacy -D INPUT 5").status, 0);
  out = check("--events");
  EXPECT_NE(out.find("rc=0"), std::string::npos) << out;
  cn = get("/apis/cilium.io/v2/ciliumnodes/node1");
  EXPECT_EQ(cn["metadata"]["labels"]["kubernetes.azure.com/user-iptables-rules"].asString(),
            "false");
}

// What the test API server imitates (tests/support/apiserver_facts.h) holds
// here, for the same requests from the same identity.
TEST_F(RealApiServerTest, AnswersAsTheTestApiServerImitatesIt) {
  apply_manifest(std::string(AIM_ETC_DIR) + "/kubernetes/rbac.yaml");
  Credentials node1 = admin_;
  node1.cert_file = pki_ + "/node1.crt";
  node1.key_file = pki_ + "/node1.key";
  // RBAC takes effect shortly after the binding is created.
  long status = 0;
  for (int i = 0; i < 120 && status != 200; ++i) {
    auto r = http_.send(node1, test::apiserver_facts(node_uid_, "probe").front().request);
    status = r.ok() ? r->status : 0;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_EQ(status, 200) << "node1 cannot patch its CiliumNode after applying the RBAC";
  test::expect_answers_like_kube_apiserver(node1, node_uid_, "real");
  Json::Value cn = get("/apis/cilium.io/v2/ciliumnodes/node1");
  EXPECT_EQ(cn["metadata"]["labels"]["kubernetes.azure.com/user-iptables-rules"].asString(),
            "true");
  EXPECT_EQ(cn["metadata"]["labels"]["other"].asString(), "kept");
}

TEST_F(RealApiServerTest, WithoutTheRbacTheNodeGets403AndIsToldWhy) {
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("sample-node.v4.rules"), Family::V4), "");
  const std::string out = check("");
  EXPECT_NE(out.find("rc=2"), std::string::npos) << out;
  EXPECT_NE(out.find("403 Forbidden"), std::string::npos) << out;
  EXPECT_NE(out.find("system:node:node1"), std::string::npos) << out;
  Json::Value cn = get("/apis/cilium.io/v2/ciliumnodes/node1");
  EXPECT_FALSE(cn["metadata"]["labels"].isMember("kubernetes.azure.com/user-iptables-rules"));
}

// etc/kubernetes/daemonset.yaml: the server takes every object (the
// DaemonSet validated as a real cluster would), and its ServiceAccount's
// token does the program's job with the manifest's RBAC, Events only where
// Node Events go.
TEST_F(RealApiServerTest, DaemonSetServiceAccountLabelsItsCiliumNodeAndRecordsEvents) {
  apply_manifest(std::string(AIM_ETC_DIR) + "/kubernetes/daemonset.yaml");
  Json::Value request;
  request["apiVersion"] = "authentication.k8s.io/v1";
  request["kind"] = "TokenRequest";
  request["spec"]["expirationSeconds"] = 3600;
  Json::Value answer;
  {
    std::istringstream in(
        admin("POST", "/api/v1/namespaces/kube-system/serviceaccounts/azure-iptables-monitor/token",
              request)
            .body);
    std::string errs;
    Json::parseFromStream(Json::CharReaderBuilder(), in, &answer, &errs);
  }
  const std::string token = answer["status"]["token"].asString();
  ASSERT_FALSE(token.empty()) << answer;
  std::ofstream(dir_ + "/kubeconfig")
      << "apiVersion: v1\nkind: Config\ncurrent-context: pod\nclusters:\n- name: c\n"
      << "  cluster:\n    server: https://127.0.0.1:6443\n    certificate-authority: pki/ca.crt\n"
      << "contexts:\n- name: pod\n  context:\n    cluster: c\n    user: sa\n"
      << "users:\n- name: sa\n  user:\n    token: " << token << "\n";
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("sample-node.v4.rules"), Family::V4), "");
  // RBAC takes effect shortly after the bindings are created.
  std::string out;
  for (int i = 0; i < 60; ++i) {
    out = check("--events");
    if (out.find("403 Forbidden") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
  Json::Value cn = get("/apis/cilium.io/v2/ciliumnodes/node1");
  EXPECT_EQ(cn["metadata"]["labels"]["kubernetes.azure.com/user-iptables-rules"].asString(),
            "true");
  Json::Value events = get("/api/v1/namespaces/default/events");
  ASSERT_GE(events["items"].size(), 1u) << out;
  EXPECT_EQ(events["items"][0]["involvedObject"]["uid"].asString(), node_uid_);

  // Nothing beyond: an Event elsewhere, or a change to the Node, is refused.
  Credentials sa = admin_;
  sa.cert_file.clear();
  sa.key_file.clear();
  sa.token = token;
  Json::Value event = events["items"][0];
  event["metadata"] = Json::Value();
  event["metadata"]["name"] = "aim-elsewhere";
  event["metadata"]["namespace"] = "kube-system";
  auto elsewhere = http_.send(sa, {"POST", "/api/v1/namespaces/kube-system/events",
                                   test::compact_json(event), "application/json"});
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_EQ(elsewhere->status, 403) << elsewhere->body;
  auto node =
      http_.send(sa, {"PATCH", "/api/v1/nodes/node1", R"({"metadata":{"labels":{"a":"b"}}})",
                      "application/merge-patch+json"});
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(node->status, 403) << node->body;
}

// Issue 16 on the real thing: the service follows its CiliumNode through a
// list + watch (fieldSelector, bookmarks) that the RBAC now grants.
TEST_F(RealApiServerTest, TheServiceFollowsItsCiliumNodeAndWritesNothingAtSteadyState) {
  apply_manifest(std::string(AIM_ETC_DIR) + "/kubernetes/rbac.yaml");
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("sample-node.v4.rules"), Family::V4), "");
  ASSERT_EQ(run("iptables-legacy -D INPUT 5").status, 0);  // clean
  // cilium-agent has not created the CiliumNode yet.
  ASSERT_EQ(admin("DELETE", "/apis/cilium.io/v2/ciliumnodes/node1", Json::Value()).status, 200);
  start_daemon("300");
  ASSERT_TRUE(
      wait_for([&] { return daemon_log().find("watching CiliumNode node1") != std::string::npos; },
               std::chrono::seconds(60)))
      << daemon_log();
  ASSERT_TRUE(wait_for([&] { return daemon_log().find("check took") != std::string::npos; },
                       std::chrono::seconds(60)))
      << daemon_log();
  EXPECT_EQ(node1_requests("patch"), 0u) << "no CiliumNode yet: nothing to patch";
  EXPECT_NE(daemon_log().find("CiliumNode node1 not found: the Node node1 exists but its "
                              "CiliumNode does not yet"),
            std::string::npos)
      << daemon_log();

  create_ciliumnode();
  EXPECT_TRUE(wait_for([&] { return label() == "false"; }, std::chrono::seconds(30)))
      << daemon_log();
  // cilium-agent replaces the labels; an admin sets the wrong value.
  for (const Json::Value& value : {Json::Value::null, Json::Value("true")}) {
    admin_patch_label(value);
    EXPECT_TRUE(wait_for([&] { return label() == "false"; }, std::chrono::seconds(30)))
        << daemon_log();
  }
  const size_t patches = node1_requests("patch");
  EXPECT_EQ(patches, 3u) << "one PATCH per repair";
  // Issue 28: the metrics file followed each repair without a check (one
  // check in all): both changes came within a minute of our write.
  const std::string cn = "resource=\"ciliumnodes.cilium.io\"";
  EXPECT_TRUE(wait_for(
      [&] {
        return metrics_have("label_overwrites_total 2\n") &&
               metrics_have("label{source=\"observed\",value=\"false\"} 1\n") &&
               metrics_have("label{source=\"sent\",value=\"false\"} 1\n") &&
               metrics_have("api_requests_total{method=\"patch\"," + cn + ",code=\"200\"} 3\n");
      },
      std::chrono::seconds(30)))
      << metrics() << daemon_log();
  EXPECT_TRUE(metrics_have("api_requests_total{method=\"list\"," + cn + ",code=\"200\"} "))
      << metrics();
  EXPECT_TRUE(metrics_have("api_requests_total{method=\"watch\"," + cn + ",code=\"200\"} "))
      << metrics();
  EXPECT_TRUE(metrics_have("checks_total{verdict=\"clean\"} 1\n")) << metrics();
  // Steady state: no more writes (the interval is 300 s; a few seconds of a
  // quiet watch, with its reads only).
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(node1_requests("patch"), patches);
  EXPECT_GE(node1_requests("list"), 1u) << "the watch's list, with the node's identity";
  EXPECT_EQ(daemon_log().find("check took"), daemon_log().rfind("check took"))
      << "all of it from one check";
}

// Issue 28: the three reasons a CiliumNode is not there, as the kubelet's
// identity meets them on a real kube-apiserver, each in its own words from
// `check` and from the service: a NODE_NAME no Node has, a Node whose
// CiliumNode cilium-agent has not created yet, no CiliumNode type at all.
TEST_F(RealApiServerTest, A404SaysWhetherTheNodeTheCiliumNodeOrItsTypeIsMissing) {
  apply_manifest(std::string(AIM_ETC_DIR) + "/kubernetes/rbac.yaml");
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("sample-node.v4.rules"), Family::V4), "");
  // RBAC takes effect shortly after the binding is created.
  ASSERT_TRUE(wait_for([&] { return check("").find("rc=1") != std::string::npos; },
                       std::chrono::seconds(30)));

  // The bodies the decision reads, as this server sends them.
  Credentials node1 = admin_;
  node1.cert_file = pki_ + "/node1.crt";
  node1.key_file = pki_ + "/node1.key";
  auto missing_object = http_.send(node1, {"GET", "/apis/cilium.io/v2/ciliumnodes/node2", "", ""});
  ASSERT_TRUE(missing_object.ok());
  EXPECT_EQ(missing_object->status, 404);
  EXPECT_EQ(missing_ciliumnode_from_404(missing_object->body, "node2"), MissingCiliumNode::Object)
      << missing_object->body;
  auto missing_node = http_.send(node1, {"GET", "/api/v1/nodes/node2", "", ""});
  ASSERT_TRUE(missing_node.ok());
  EXPECT_EQ(missing_node->status, 404)
      << "the Node authorizer lets a node read any Node: " << missing_node->body;

  std::string out = check("--node-name node2");
  EXPECT_NE(out.find("rc=2"), std::string::npos) << out;
  EXPECT_NE(out.find("no Node named node2 either (check NODE_NAME"), std::string::npos) << out;
  EXPECT_EQ(out.find("cilium-agent"), std::string::npos) << out;

  start_daemon("300", "node2");
  EXPECT_TRUE(wait_for(
      [&] {
        return daemon_log().find(
                   "CiliumNode node2 not found: no Node named node2 either (check "
                   "NODE_NAME") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << daemon_log();
  stop_daemon();

  ASSERT_EQ(admin("DELETE", "/apis/cilium.io/v2/ciliumnodes/node1", Json::Value()).status, 200);
  out = check("");
  EXPECT_NE(out.find("rc=2"), std::string::npos) << out;
  EXPECT_NE(out.find("the Node node1 exists but its CiliumNode does not yet"), std::string::npos)
      << out;
  EXPECT_EQ(out.find("NODE_NAME"), std::string::npos) << out;

  // No Cilium: the CRD removed (the server stops serving the type shortly).
  ASSERT_EQ(admin("DELETE",
                  "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ciliumnodes.cilium.io",
                  Json::Value())
                .status,
            200);
  HttpResponse gone;
  ASSERT_TRUE(wait_for(
      [&] {
        auto r = http_.send(node1, {"GET", "/apis/cilium.io/v2/ciliumnodes/node1", "", ""});
        if (r.ok()) gone = *r;
        return r.ok() && r->status == 404 &&
               missing_ciliumnode_from_404(r->body, "node1") == MissingCiliumNode::ResourceType;
      },
      std::chrono::seconds(60)))
      << gone.body;
  std::cout << "a CiliumNode without its CRD: " << gone.status << " " << gone.body << '\n';
  auto list = http_.send(node1, {"GET", "/apis/cilium.io/v2/ciliumnodes", "", ""});
  ASSERT_TRUE(list.ok());
  std::cout << "a CiliumNode list without its CRD: " << list->status << " " << list->body << '\n';
  EXPECT_EQ(list->status, 404);
  out = check("");
  EXPECT_NE(out.find("rc=2"), std::string::npos) << out;
  EXPECT_NE(out.find("the CiliumNode resource type (ciliumnodes.cilium.io/v2) is not installed"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("NODE_NAME"), std::string::npos) << out;

  start_daemon("300");
  EXPECT_TRUE(wait_for(
      [&] {
        const std::string log = daemon_log();
        return log.find("resource type (ciliumnodes.cilium.io/v2) is not installed") !=
                   std::string::npos &&
               log.find("check took") != std::string::npos;
      },
      std::chrono::seconds(60)))
      << daemon_log();
  EXPECT_EQ(daemon_log().find("NODE_NAME"), std::string::npos) << daemon_log();
}

TEST_F(RealApiServerTest, WithoutListAndWatchTheServiceFallsBackAndSaysSo) {
  // The RBAC of earlier versions: patch only.
  const std::string old_rbac = dir_ + "/rbac-patch-only.yaml";
  {
    std::ifstream in(std::string(AIM_ETC_DIR) + "/kubernetes/rbac.yaml");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    const std::string verbs = R"(verbs: ["get", "list", "watch", "patch"])";
    ASSERT_NE(text.find(verbs), std::string::npos);
    text.replace(text.find(verbs), verbs.size(), R"(verbs: ["patch"])");
    std::ofstream(old_rbac) << text;
  }
  apply_manifest(old_rbac);
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("sample-node.v4.rules"), Family::V4), "");
  start_daemon("1");
  ASSERT_TRUE(wait_for([&] { return label() == "true"; }, std::chrono::seconds(60)))
      << daemon_log();
  ASSERT_TRUE(wait_for(
      [&] { return daemon_log().find("cannot watch CiliumNode node1") != std::string::npos; },
      std::chrono::seconds(30)))
      << daemon_log();
  const size_t patches = node1_requests("patch");
  EXPECT_TRUE(
      wait_for([&] { return node1_requests("patch") >= patches + 2; }, std::chrono::seconds(30)))
      << "the fallback sets the label after every check";
  const std::string log = daemon_log();
  size_t said = 0, at = 0;
  while ((at = log.find("cannot watch CiliumNode", at)) != std::string::npos) ++said, ++at;
  EXPECT_EQ(said, 1u) << log;
  EXPECT_NE(log.find("forbidden"), std::string::npos) << log;
  // Issue 28: with patch only, the label's success time is there (it never
  // was: checks ended with the PATCH in flight), and the refused list shows.
  const std::string text = metrics();
  EXPECT_EQ(text.find("\nazure_iptables_monitor_label_last_success_timestamp_seconds 0\n"),
            std::string::npos)
      << text;
  EXPECT_TRUE(metrics_have("label_last_success_timestamp_seconds ")) << text;
  EXPECT_TRUE(metrics_have(
      "api_requests_total{method=\"list\",resource=\"ciliumnodes.cilium.io\",code=\"403\"} "))
      << text;
  EXPECT_TRUE(metrics_have("label{source=\"sent\",value=\"true\"} 1\n")) << text;
}

// A node with nothing configured: its kubelet's certificate names it (no
// --node-name, no NODE_NAME), and `unlabel` removes the label with that
// identity and the packaged RBAC's patch grant, leaving the other labels.
TEST_F(RealApiServerTest, TheNodesCertificateNamesItAndUnlabelRemovesTheLabel) {
  apply_manifest(std::string(AIM_ETC_DIR) + "/kubernetes/rbac.yaml");
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("sample-node.v4.rules"), Family::V4), "");
  const std::string binary = "env -u NODE_NAME " + test::quote(test::binary_path());
  const std::string kubeconfig = " --kubeconfig " + dir_ + "/kubeconfig";
  std::string out;
  // RBAC takes effect shortly after the binding is created.
  for (int i = 0; i < 60; ++i) {
    out = run(binary + " check --backend legacy --input " +
              test::quote(std::string(AIM_ALLOWLIST_DIR) + "/kube-proxy-node") + kubeconfig +
              " 2>&1; echo rc=$?")
              .out;
    if (out.find("403 Forbidden") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
  ASSERT_EQ(label(), "true");

  out = run(binary + " unlabel" + kubeconfig + " 2>&1; echo rc=$?").out;
  EXPECT_NE(out.find("rc=0"), std::string::npos) << out;
  EXPECT_NE(out.find("removed the label kubernetes.azure.com/user-iptables-rules of CiliumNode "
                     "node1 (the node named by the client certificate of " +
                     dir_ + "/kubeconfig)"),
            std::string::npos)
      << out;
  const Json::Value labels = get("/apis/cilium.io/v2/ciliumnodes/node1")["metadata"]["labels"];
  EXPECT_FALSE(labels.isMember("kubernetes.azure.com/user-iptables-rules")) << labels;
  EXPECT_EQ(labels["other"].asString(), "kept") << labels;
  EXPECT_EQ(node1_requests("patch"), 2u) << "one to label, one to unlabel, as system:node:node1";

  // Nothing left to remove: still a success, still one request.
  out = run(binary + " unlabel" + kubeconfig + " 2>&1; echo rc=$?").out;
  EXPECT_NE(out.find("rc=0"), std::string::npos) << out;
  EXPECT_EQ(node1_requests("patch"), 3u);
  // No CiliumNode (cilium-agent never ran, or it was deleted): nothing to do.
  ASSERT_EQ(admin("DELETE", "/apis/cilium.io/v2/ciliumnodes/node1", Json::Value()).status, 200);
  out = run(binary + " unlabel" + kubeconfig + " 2>&1; echo rc=$?").out;
  EXPECT_NE(out.find("rc=0"), std::string::npos) << out;
  EXPECT_NE(out.find("CiliumNode node1 does not exist"), std::string::npos) << out;
}

}  // namespace
}  // namespace aim
