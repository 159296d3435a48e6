// Pure parts of the Kubernetes client: kubeconfig parsing, retry timing,
// event text and JSON, error messages, and what a verdict sends.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include "fake_kube_api.h"
#include "kube/api_errors.h"
#include "kube/events.h"
#include "kube/kubeconfig.h"
#include "kube/retry.h"
#include "reconcile/cluster_requests.h"

namespace aim {
namespace {

const char* kKubeconfig = R"(apiVersion: v1
kind: Config
current-context: ctx
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:443/
    certificate-authority: ca.crt
    tls-server-name: kubernetes.default
- name: c2
  cluster:
    server: https://other:6443
contexts:
- name: ctx
  context:
    cluster: c1
    user: kubelet
users:
- name: kubelet
  user:
    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem
    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem
)";

TEST(Kubeconfig, ParsesCurrentContextAndResolvesRelativePaths) {
  auto c = parse_kubeconfig(kKubeconfig, "/var/lib/kubelet", "/var/lib/kubelet/kubeconfig");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->server, "https://10.0.0.1:443");
  EXPECT_EQ(c->ca_file, "/var/lib/kubelet/ca.crt");
  EXPECT_EQ(c->tls_server_name, "kubernetes.default");
  EXPECT_EQ(c->cert_file, "/var/lib/kubelet/pki/kubelet-client-current.pem");
  EXPECT_EQ(c->key_file, c->cert_file);
  EXPECT_FALSE(c->insecure_skip_tls_verify);
}

TEST(Kubeconfig, InlineDataIsBase64Decoded) {
  const std::string yaml =
      "current-context: x\nclusters:\n- name: c\n  cluster:\n    server: https://h\n"
      "    certificate-authority-data: LS0tLS1CRUdJTg==\ncontexts:\n- name: x\n  context:\n"
      "    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n    token: abc\n";
  auto c = parse_kubeconfig(yaml, "/d", "k");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->ca_pem, "-----BEGIN");
  EXPECT_EQ(c->token, "abc");
}

TEST(Kubeconfig, RefusesWhatItCannotUse) {
  auto bad = [](const std::string& yaml) { return parse_kubeconfig(yaml, "/d", "k").error(); };
  EXPECT_NE(bad("{{{").find("not valid YAML"), std::string::npos);
  EXPECT_NE(bad("current-context: nope\ncontexts: []").find("'nope' is not defined"),
            std::string::npos);
  const std::string base =
      "current-context: x\nclusters:\n- name: c\n  cluster:\n    server: SERVER\ncontexts:\n"
      "- name: x\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n";
  auto with = [&](const std::string& server, const std::string& user) {
    std::string y = base;
    y.replace(y.find("SERVER"), 6, server);
    return bad(y + user);
  };
  EXPECT_NE(with("https://h", "    exec:\n      command: aws\n").find("exec credential plugin"),
            std::string::npos);
  EXPECT_NE(with("https://h", "    auth-provider:\n      name: gcp\n").find("auth-provider"),
            std::string::npos);
  EXPECT_NE(with("http://h", "    token: x\n").find("not https"), std::string::npos);
  EXPECT_NE(with("https://h", "    client-certificate: a.crt\n").find("without its key"),
            std::string::npos);
}

TEST(Kubeconfig, CandidatesInOrder) {
  EXPECT_EQ(kubeconfig_candidates("/flag", "/env:/second"),
            (std::vector<std::string>{"/flag", "/env", "/var/lib/kubelet/kubeconfig",
                                      "/etc/kubernetes/kubelet.conf"}));
  EXPECT_EQ(kubeconfig_candidates("", nullptr).size(), 2u);
}

TEST(Retry, TransientOnlyForTransportErrors5xxAnd429) {
  EXPECT_TRUE(is_transient(0, true));
  EXPECT_TRUE(is_transient(500, false));
  EXPECT_TRUE(is_transient(503, false));
  EXPECT_TRUE(is_transient(429, false));
  for (long s : {200L, 401L, 403L, 404L, 409L, 415L, 422L}) EXPECT_FALSE(is_transient(s, false));
}

TEST(Retry, CappedExponentialBackoffWithJitter) {
  RetryPolicy p;
  EXPECT_EQ(retry_delay(p, 1, std::nullopt, 0.0), std::chrono::milliseconds(125));
  EXPECT_EQ(retry_delay(p, 1, std::nullopt, 1.0), std::chrono::milliseconds(250));
  EXPECT_EQ(retry_delay(p, 3, std::nullopt, 1.0), std::chrono::milliseconds(1000));
  EXPECT_EQ(retry_delay(p, 30, std::nullopt, 1.0), p.max_delay);
  EXPECT_EQ(retry_delay(p, 3, std::nullopt, 0.0), std::chrono::milliseconds(125))
      << "full jitter: anywhere from the floor to the step";
  // Retry-After is honoured, stretched by up to half so a fleet told the
  // same number does not come back in the same second.
  EXPECT_EQ(retry_delay(p, 1, 3, 0.0), std::chrono::milliseconds(3000));
  EXPECT_EQ(retry_delay(p, 1, 2, 0.5), std::chrono::milliseconds(2500));
  EXPECT_EQ(retry_delay(p, 1, 3600, 0.5), p.max_delay);
  EXPECT_EQ(parse_retry_after(" 7\r\n"), 7);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
}

TEST(Backoff, DoublesToItsCapWithFullJitterAboveHalfTheFirstStep) {
  using std::chrono::milliseconds;
  Backoff b({milliseconds(500), milliseconds(30000)});  // a watch's faults
  EXPECT_EQ(b.next(1.0), milliseconds(500));
  EXPECT_EQ(b.next(1.0), milliseconds(1000));
  EXPECT_EQ(b.next(0.0), milliseconds(250)) << "the floor";
  EXPECT_EQ(b.next(0.5), milliseconds(250 + (4000 - 250) / 2));
  for (int i = 0; i < 100; ++i) b.next(0.5);
  EXPECT_EQ(b.ceiling(), milliseconds(30000)) << "capped, however long it lasts";
  EXPECT_EQ(b.next(1.0), milliseconds(30000));
  b.reset();
  EXPECT_EQ(b.failures(), 0);
  EXPECT_EQ(b.next(1.0), milliseconds(500)) << "starts over";
}

TEST(Backoff, SpreadsAPeriodLikeClientGoSpreadsWatchTimeouts) {
  using std::chrono::milliseconds;
  EXPECT_EQ(spread_period(milliseconds(290000), 1.0, 0.0), milliseconds(290000));
  EXPECT_EQ(spread_period(milliseconds(290000), 1.0, 0.5), milliseconds(435000));
  EXPECT_LT(spread_period(milliseconds(290000), 1.0, 0.999999), milliseconds(580000));
  // Different draws, different periods (the generator is not constant).
  std::set<double> draws;
  for (int i = 0; i < 20; ++i) draws.insert(random_unit());
  EXPECT_GT(draws.size(), 10u);
  for (double d : draws) EXPECT_TRUE(d >= 0.0 && d < 1.0) << d;
}

TEST(Events, LabelPatchUsesStringValues) {
  EXPECT_EQ(label_patch(true),
            "{\"metadata\":{\"labels\":{\"kubernetes.azure.com/user-iptables-rules\":\"true\"}}}");
  EXPECT_EQ(label_patch(false),
            "{\"metadata\":{\"labels\":{\"kubernetes.azure.com/user-iptables-rules\":\"false\"}}}");
}

TEST(Events, MessageNamesRulesWithinTheLimit) {
  EXPECT_EQ(unexpected_rules_message({"-A INPUT -j X"}),
            "1 unexpected iptables rule: -A INPUT -j X");
  std::vector<std::string> many(100, "filter: -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT");
  const std::string m = unexpected_rules_message(many);
  EXPECT_LE(m.size(), kEventMessageLimit);
  EXPECT_EQ(m.rfind("100 unexpected iptables rules: ", 0), 0u);
  EXPECT_NE(m.find(" more)"), std::string::npos);
  // One huge rule with multi-byte characters is cut on a character boundary.
  std::string huge;
  for (int i = 0; i < 600; ++i) huge += "\xe2\x9c\x93";
  const std::string cut = unexpected_rules_message({huge, "x"});
  EXPECT_LE(cut.size(), kEventMessageLimit);
  EXPECT_NE(cut.find("... (and 1 more)"), std::string::npos);
  const size_t dots = cut.find("...");
  EXPECT_EQ((dots - std::string("2 unexpected iptables rules: ").size()) % 3, 0u);
}

// A rule of an iptables table shown in nft syntax says why in the Event, so
// an operator can tell it was not written by this iptables.
TEST(Events, MessageSaysWhyAnIptablesTableRuleIsInNftSyntax) {
  Report report;
  report.verdict = Verdict::Unexpected;
  report.unexpected.push_back({Family::V4, Backend::Native, "ip filter", "INPUT",
                               "add rule ip filter INPUT ip saddr vmap { 0.0.0.0/0 : drop }"});
  EXPECT_EQ(event_message(report),
            "1 unexpected iptables rule (rules of iptables tables in nft syntax: their iptables "
            "text would not be the whole rule (written with nft, or by an iptables other than "
            "1.8.9)): nftables ip filter: add rule ip filter INPUT ip saddr vmap { 0.0.0.0/0 : "
            "drop }");
  // A native table of its own needs no such note.
  report.unexpected[0].table = "inet fw";
  EXPECT_EQ(event_message(report).find("nft syntax"), std::string::npos);
}

TEST(Events, NamesAreUniqueWithinASecond) {
  EXPECT_NE(event_name("n", 1700000000000000000LL), event_name("n", 1700000000000000001LL));
  EXPECT_EQ(event_name("n", 255), "n.ff");
  EXPECT_EQ(rfc3339(0), "1970-01-01T00:00:00Z");
}

// Issue 28: a 404 on the CiliumNode is one of three things, told apart by
// the answer's body (kube-apiserver v1.20.2's, as the real tier records)
// and, for a missing object, by whether the Node exists.
TEST(MissingCiliumNode, TheBodyTellsAMissingObjectFromAMissingType) {
  const std::string object =
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":)"
      R"("ciliumnodes.cilium.io \"node2\" not found","reason":"NotFound","details":)"
      R"({"name":"node2","group":"cilium.io","kind":"ciliumnodes"},"code":404})";
  EXPECT_EQ(missing_ciliumnode_from_404(object, "node2"), MissingCiliumNode::Object);
  EXPECT_EQ(missing_ciliumnode_from_404(object, "node1"), MissingCiliumNode::ResourceType)
      << "a Status naming another object is not about this one";
  // No CRD: kube-apiserver's plain-text answer for a group it does not serve,
  // or a Status that names no object.
  EXPECT_EQ(missing_ciliumnode_from_404("404 page not found\n", "node2"),
            MissingCiliumNode::ResourceType);
  EXPECT_EQ(missing_ciliumnode_from_404(
                R"({"kind":"Status","message":"the server could not find the requested )"
                R"(resource","reason":"NotFound","details":{},"code":404})",
                "node2"),
            MissingCiliumNode::ResourceType);
  EXPECT_EQ(missing_ciliumnode_from_404("", "node2"), MissingCiliumNode::ResourceType);
  EXPECT_EQ(missing_ciliumnode_from_404(R"({"kind":"Status","details":{"name":7}})", "node2"),
            MissingCiliumNode::ResourceType);
  EXPECT_EQ(missing_ciliumnode_from_404(R"(["node2"])", "node2"), MissingCiliumNode::ResourceType);
}

TEST(MissingCiliumNode, EachAbsenceHasItsOwnWords) {
  EXPECT_EQ(node_lookup_from_status(200), NodeLookup::Exists);
  EXPECT_EQ(node_lookup_from_status(404), NodeLookup::Missing);
  for (long s : {0L, 401L, 403L, 500L}) EXPECT_EQ(node_lookup_from_status(s), NodeLookup::Unknown);

  const std::string wrong_name =
      explain_missing_ciliumnode(MissingCiliumNode::Object, NodeLookup::Missing, "node2");
  EXPECT_NE(wrong_name.find("no Node named node2"), std::string::npos) << wrong_name;
  EXPECT_NE(wrong_name.find("check NODE_NAME"), std::string::npos) << wrong_name;
  EXPECT_EQ(wrong_name.find("cilium-agent"), std::string::npos) << wrong_name;

  const std::string new_node =
      explain_missing_ciliumnode(MissingCiliumNode::Object, NodeLookup::Exists, "node1");
  EXPECT_NE(new_node.find("the Node node1 exists but its CiliumNode does not yet"),
            std::string::npos)
      << new_node;
  EXPECT_EQ(new_node.find("NODE_NAME"), std::string::npos) << new_node;

  const std::string no_type =
      explain_missing_ciliumnode(MissingCiliumNode::ResourceType, NodeLookup::Unknown, "node1");
  EXPECT_NE(no_type.find("resource type (ciliumnodes.cilium.io/v2) is not installed"),
            std::string::npos)
      << no_type;
  EXPECT_EQ(no_type.find("NODE_NAME"), std::string::npos) << no_type;
  // The type missing decides, whatever the Node lookup said.
  EXPECT_EQ(explain_missing_ciliumnode(MissingCiliumNode::ResourceType, NodeLookup::Missing, "n"),
            explain_missing_ciliumnode(MissingCiliumNode::ResourceType, NodeLookup::Exists, "n"));

  const std::string unsure = explain_missing_ciliumnode(
      MissingCiliumNode::Object, NodeLookup::Unknown, "node1", "get nodes/node1: 403 Forbidden");
  EXPECT_NE(unsure.find("either cilium-agent has not created it yet or NODE_NAME"),
            std::string::npos)
      << unsure;
  EXPECT_NE(unsure.find("403 Forbidden"), std::string::npos) << unsure;
}

TEST(ApiErrors, StatusMessageAndHints) {
  const std::string body =
      R"({"kind":"Status","message":"ciliumnodes.cilium.io \"n\" is forbidden"})";
  EXPECT_EQ(status_message(body), "ciliumnodes.cilium.io \"n\" is forbidden");
  EXPECT_EQ(status_message("Too many requests\n"), "Too many requests");
  ApiCall call{"patch", "ciliumnodes.cilium.io/n", "https://h", "/k", "system:node:n"};
  EXPECT_NE(describe_api_failure(call, 403, body).find("may not patch"), std::string::npos);
  EXPECT_NE(describe_api_failure(call, 404, "").find("404 Not Found"), std::string::npos);
  EXPECT_NE(describe_api_failure(call, 401, "").find("/k"), std::string::npos);
  // The fix named for a 403 is the RBAC of the identity in use.
  EXPECT_NE(describe_api_failure(call, 403, body)
                .find("kubectl apply -f /usr/share/azure-iptables-monitor/kubernetes/rbac.yaml"),
            std::string::npos);
  call.credentials_source = "in-cluster service account (/var/run/secrets/kubernetes.io/x)";
  EXPECT_NE(describe_api_failure(call, 403, body).find("daemonset.yaml"), std::string::npos);
}

Report report_with(Verdict v) {
  Report r;
  r.verdict = v;
  if (v == Verdict::Unexpected)
    r.unexpected.push_back({Family::V4, Backend::Legacy, "filter", "INPUT", "-A INPUT -j X"});
  return r;
}

// jsoncpp throws on input nested past its limit and on indexing a value
// that is not an object: hostile answers must come back as errors instead.
TEST(HostileAnswers, NeitherDeepNestingNorTheWrongTypesEndTheProcess) {
  const std::string deep(100000, '[');
  EXPECT_NO_THROW(status_message(deep));
  ApiCall call{"patch", "ciliumnodes.cilium.io/n", "https://h", "/k", "system:node:n"};
  EXPECT_NO_THROW(describe_api_failure(call, 403, deep));
  EXPECT_EQ(status_message(R"({"message":"no"})"), "no");
  EXPECT_NO_THROW(status_message(R"("a string")"));
  for (const std::string& body :
       {std::string(R"("x")"), std::string(R"({"metadata":"x"})"), std::string(R"([1])"), deep}) {
    test::FakeKubeApi api;
    api.node_body = body;
    EventReporter events(api, "n", "h", [] { return int64_t{1}; });
    ApiOutcome out;
    EXPECT_NO_THROW(out = events.report("UnexpectedIPTablesRules", "m"));
    EXPECT_FALSE(out.ok);
    EXPECT_NE(out.error.find("no metadata.uid"), std::string::npos) << out.error;
  }
}

// perform() carries out what the reconciler asks, and says what failed.
TEST(ClusterRequests, PerformSendsTheLabelAndEvents) {
  test::FakeKubeApi api;
  EventReporter events(api, "n", "h", [] { return int64_t{1}; });
  EXPECT_TRUE(perform(api, &events, "n", {ClusterRequest::Kind::Label, false, {}, {}}).ok);
  EXPECT_TRUE(perform(api, &events, "n",
                      {ClusterRequest::Kind::Event, false, "UnexpectedIPTablesRules",
                       event_message(report_with(Verdict::Unexpected))})
                  .ok);
  EXPECT_EQ(api.calls,
            (std::vector<std::string>{"label n=false", "get n", "create UnexpectedIPTablesRules"}));
  api.fail_patch = true;
  const RequestResult failed =
      perform(api, nullptr, "n", {ClusterRequest::Kind::Label, true, {}, {}});
  EXPECT_FALSE(failed.ok);
  EXPECT_EQ(failed.status, 503);
  EXPECT_NE(failed.error.find("user-iptables-rules=true"), std::string::npos);
  // An Event without --events is an error, never dropped quietly.
  EXPECT_FALSE(perform(api, nullptr, "n", {ClusterRequest::Kind::Event, false, "X", "m"}).ok);
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

TEST(Kubeconfig, InClusterUsesTheServiceAccountFiles) {
  char tmpl[] = "/tmp/aim-sa-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  std::ofstream(dir + "/token") << "t";
  std::ofstream(dir + "/ca.crt") << "c";
  setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
  auto c = in_cluster_credentials(dir);
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->server, "https://[fd00::1]:6443");
  EXPECT_EQ(c->token_file, dir + "/token");
  EXPECT_EQ(c->ca_file, dir + "/ca.crt");
  std::system(("rm -rf " + dir).c_str());
  EXPECT_FALSE(in_cluster_credentials(dir).ok()) << "not in a cluster without the variable";
}

// An empty CA file is a wrong path, not "no CA named": read as none, the
// client would trust the system's authorities instead of the cluster's.
TEST(Kubeconfig, AnEmptyCredentialFileIsRefused) {
  char tmpl[] = "/tmp/aim-ca-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  std::ofstream(dir + "/ca.crt").flush();
  Credentials named;
  named.ca_file = dir + "/ca.crt";
  named.source = "test";
  auto c = read_credential_files(named);
  std::system(("rm -rf " + dir).c_str());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().find("is empty"), std::string::npos) << c.error();
}

// Patching an Event that was deleted (404) creates a new one.
class DeletedEventApi : public KubeApi {
 public:
  std::vector<std::string> calls;
  ApiOutcome patch_label(const std::string&, bool) override { return {true, 200, "", ""}; }
  ApiOutcome get_ciliumnode(const std::string&) override { return {false, 0, "unused", ""}; }
  ApiOutcome get_node(const std::string&) override {
    calls.push_back("get");
    return {true, 200, "", R"({"metadata":{"uid":"u"}})"};
  }
  ApiOutcome create_event(const Json::Value& e) override {
    calls.push_back("create " + e["metadata"]["name"].asString());
    return {true, 201, "", ""};
  }
  ApiOutcome patch_event(const std::string& name, const Json::Value&) override {
    calls.push_back("patch " + name);
    return {false, 404, "gone", ""};
  }
};

TEST(EventReporter, PatchOfAVanishedEventFallsBackToCreate) {
  DeletedEventApi api;
  int64_t t = 1000;
  EventReporter events(api, "n", "h", [&] { return t += 16; });
  ASSERT_TRUE(events.report("R", "m").ok);
  ASSERT_TRUE(events.report("R", "m").ok);
  EXPECT_EQ(api.calls,
            (std::vector<std::string>{"get", "create n.3f8", "patch n.3f8", "create n.408"}));
}

}  // namespace
}  // namespace aim
