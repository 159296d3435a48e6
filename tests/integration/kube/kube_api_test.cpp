// The real HTTPS client against the test API server (real TLS, client
// certificates, the API server's validation, injected faults). No root.
#include "kube/kube_api.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "apiserver_facts.h"
#include "deadline.h"
#include "kube/events.h"
#include "require.h"
#include "rules/child/process.h"
#include "rules/child/served_child.h"
#include "test_apiserver.h"

namespace aim {
namespace {

using std::chrono::milliseconds;

class KubeApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<test::TestApiServer>();
    if (!server_->running())
      AIM_REQUIRE_OR_SKIP("test API server unavailable: " + server_->error());
    server_->control("POST", "/_test/objects", objects());
    server_->allow("system:node:node1", "patch", "ciliumnodes");
    server_->allow("system:node:node1", "get", "nodes");
    server_->allow("system:node:node1", "*", "events");
  }
  static Json::Value objects() {
    Json::Value o;
    o["ciliumnodes"].append("node1");
    o["nodes"]["node1"] = "uid-1234";
    return o;
  }
  // An API over `kubeconfig`, recording the delays it would sleep.
  std::unique_ptr<HttpKubeApi> api(const std::string& kubeconfig,
                                   milliseconds timeout = milliseconds(5000),
                                   RetryPolicy policy = {}) {
    return std::make_unique<HttpKubeApi>([kubeconfig] { return load_kubeconfig(kubeconfig); },
                                         timeout, policy,
                                         [this](milliseconds d) {
                                           slept_.push_back(d);
                                           return true;
                                         });
  }
  std::string label() { return server_->label(); }
  // patch_label over `kubeconfig` in a child with a deadline: "ok" or the
  // error, then how many retry waits there were; "HUNG" when it did not end
  // in time (or died).
  std::string patch_with_deadline(const std::string& kubeconfig) {
    auto kube = api(kubeconfig);
    auto out = test::run_with_deadline(std::chrono::seconds(20), [&] {
      ApiOutcome r = kube->patch_label("node1", true);
      return (r.ok ? std::string("ok") : r.error) + " [" + std::to_string(slept_.size()) +
             " retry waits]";
    });
    return out ? *out : "HUNG";
  }
  // A FIFO nobody writes to, in the test's directory.
  std::string fifo(const std::string& name) {
    const std::string path = server_->dir() + "/" + name;
    EXPECT_EQ(mkfifo(path.c_str(), 0600), 0);
    return path;
  }
  std::unique_ptr<test::TestApiServer> server_;
  std::vector<milliseconds> slept_;
};

// Issue 30: API server connections never reach a helper. While a watch and a
// kept-alive request connection are open, every socket connected to the API
// server is close-on-exec, and a spawned helper and the long-lived served
// helper hold only their stdio.
class ApiConnectionsAndHelpers : public KubeApiTest {
 protected:
  // Inodes of the established TCP connections to `port` (/proc/net/tcp{,6}).
  static std::set<std::string> connections_to(int port) {
    std::set<std::string> inodes;
    char wanted[8];
    std::snprintf(wanted, sizeof wanted, "%04X", port);
    for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
      std::ifstream in(table);
      std::string line;
      std::getline(in, line);  // the heading
      while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
        fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
            timeout >> inode;
        if (state == "01" && remote.substr(remote.find(':') + 1) == wanted) inodes.insert(inode);
      }
    }
    return inodes;
  }
  // This process's descriptors that are one of `inodes`, with whether each
  // is close-on-exec.
  static std::map<int, bool> descriptors_of(const std::set<std::string>& inodes) {
    std::map<int, bool> found;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
      std::error_code ec;
      const std::string target = std::filesystem::read_symlink(entry.path(), ec).string();
      if (ec || target.rfind("socket:[", 0) != 0) continue;
      if (!inodes.count(target.substr(8, target.size() - 9))) continue;
      const int fd = std::stoi(entry.path().filename().string());
      found[fd] = (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
    }
    return found;
  }
};

TEST_F(ApiConnectionsAndHelpers, NoApiConnectionReachesAHelper) {
  server_->allow("system:node:node1", "watch", "ciliumnodes");
  const std::string kubeconfig = server_->write_kubeconfig("node1");
  auto kube = api(kubeconfig);
  ASSERT_TRUE(kube->patch_label("node1", true).ok);  // its connection is kept for reuse
  // A watch held open on another connection, as the service's is.
  std::atomic<bool> stop{false}, opened{false};
  std::thread watcher([&] {
    HttpClient http(milliseconds(5000));
    http.set_abort([&] { return stop.load(); });
    auto cred = load_kubeconfig(kubeconfig);
    if (!cred) return;
    // Ends when the test stops it (its outcome is not what is tested).
    (void)http.stream(
        *cred,
        {"GET", "/apis/cilium.io/v2/ciliumnodes?fieldSelector=metadata.name%3Dnode1&watch=1", "",
         ""},
        milliseconds(60000), [&](long status) { opened = status == 200; },
        [](std::string_view) { return true; });
  });
  struct Join {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~Join() {
      stop = true;
      thread.join();
    }
  } join{stop, watcher};
  for (int i = 0; i < 200 && !opened; ++i) std::this_thread::sleep_for(milliseconds(50));
  ASSERT_TRUE(opened.load()) << "the watch did not open";
  const int port = std::stoi(server_->url().substr(server_->url().rfind(':') + 1));
  const std::map<int, bool> sockets = descriptors_of(connections_to(port));
  ASSERT_GE(sockets.size(), 2u) << "the request's kept connection and the watch's";
  for (const auto& [fd, close_on_exec] : sockets)
    EXPECT_TRUE(close_on_exec) << "fd " << fd << " is connected to the API server";

  std::string listed;
  for (const auto& [fd, close_on_exec] : sockets) listed += std::to_string(fd) + " ";
  // A helper run for one job: the shell lists its own descriptors.
  auto helper =
      run_executable("/bin/sh", {"-c", "ls /proc/$$/fd | tr '\\n' ' '"}, {}, milliseconds(10000));
  ASSERT_TRUE(helper.ok()) << helper.error();
  EXPECT_EQ(std::string(helper->stdout_text()), "0 1 2 ") << "API connections: " << listed;
  // The long-lived helper (the nft reader's): it answers nothing, so asking
  // it reports how it ended, with what it printed.
  ServedChild served("/bin/sh", {"-c", "echo; ls /proc/$$/fd | tr '\\n' ' '; echo END"}, {});
  auto reply = served.ask(milliseconds(10000), {});
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.error().find("0 1 2 END"), std::string::npos)
      << reply.error() << " (API connections: " << listed << ")";
}

// The behaviours imitated from kube-apiserver; real_apiserver_test holds the
// real server to the same.
TEST_F(KubeApiTest, AnswersAsKubeApiserverDoes) {
  auto node = load_kubeconfig(server_->write_kubeconfig("node1"));
  ASSERT_TRUE(node.ok()) << node.error();
  test::expect_answers_like_kube_apiserver(*node, "uid-1234", "stand-in");
}

TEST_F(KubeApiTest, PatchesTheLabelAsAMergePatchWithStringValues) {
  auto kube = api(server_->write_kubeconfig("node1"));
  ApiOutcome r = kube->patch_label("node1", true);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(label(), "true");
  Json::Value reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["method"].asString(), "PATCH");
  EXPECT_EQ(reqs[0]["path"].asString(), "/apis/cilium.io/v2/ciliumnodes/node1");
  EXPECT_EQ(reqs[0]["content_type"].asString(), "application/merge-patch+json");
  EXPECT_EQ(reqs[0]["user"].asString(), "system:node:node1");
  EXPECT_EQ(reqs[0]["body"].asString(),
            "{\"metadata\":{\"labels\":{\"kubernetes.azure.com/user-iptables-rules\":\"true\"}}}");
  ASSERT_TRUE(kube->patch_label("node1", false).ok);
  EXPECT_EQ(label(), "false");
}

TEST_F(KubeApiTest, ReusesOneConnection) {
  auto kube = api(server_->write_kubeconfig("node1"));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(kube->patch_label("node1", i % 2).ok);
  Json::Value reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0]["client_port"], reqs[1]["client_port"]);
  EXPECT_EQ(reqs[1]["client_port"], reqs[2]["client_port"]);
}

// Issue 28: a 404 says which absence it is, asking the Node (one GET) only
// when the answer names the missing object; nothing is retried.
TEST_F(KubeApiTest, MissingCiliumNodeSaysWhichAbsenceItIsAndIsNotRetried) {
  auto kube = api(server_->write_kubeconfig("node1"));
  server_->allow("system:node:node1", "patch", "ciliumnodes");
  server_->allow("system:node:node1", "get", "ciliumnodes");
  server_->allow("system:node:node1", "get", "nodes");
  ApiOutcome r = kube->patch_label("node9", true);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.error.find("no Node named node9 either (check NODE_NAME"), std::string::npos)
      << r.error;
  Json::Value reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1]["method"].asString(), "GET");
  EXPECT_EQ(reqs[1]["path"].asString(), "/api/v1/nodes/node9");

  // The Node is there, its CiliumNode not yet: a new node.
  Json::Value objects;
  objects["nodes"]["node9"] = "uid-9";
  server_->control("POST", "/_test/objects", objects);
  r = kube->get_ciliumnode("node9");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.error.find("the Node node9 exists but its CiliumNode does not yet"),
            std::string::npos)
      << r.error;

  // The Node cannot be read (no grant): both causes named.
  server_->control("POST", "/_test/deny", [] {
    Json::Value g;
    g["user"] = "system:node:node1";
    g["verb"] = "get";
    g["resource"] = "nodes";
    return g;
  }());
  r = kube->patch_label("node9", true);
  EXPECT_NE(r.error.find("either cilium-agent has not created it yet or NODE_NAME"),
            std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("403 Forbidden"), std::string::npos) << r.error;

  // No CRD: said from the answer alone, without asking the Node.
  server_->set_crd_installed(false);
  server_->reset();
  r = kube->patch_label("node9", true);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.error.find("the CiliumNode resource type (ciliumnodes.cilium.io/v2) is not "
                         "installed"),
            std::string::npos)
      << r.error;
  EXPECT_EQ(r.error.find("NODE_NAME"), std::string::npos) << r.error;
  EXPECT_EQ(server_->requests().size(), 1u);
}

TEST_F(KubeApiTest, ForbiddenNamesVerbResourceIdentityAndRbac) {
  auto kube = api(server_->write_kubeconfig("other"));
  ApiOutcome r = kube->patch_label("node1", true);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.error.find("may not patch ciliumnodes.cilium.io/node1"), std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("system:node:other"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("RBAC"), std::string::npos) << r.error;
  EXPECT_EQ(server_->requests().size(), 1u);
}

TEST_F(KubeApiTest, NoCredentialsIsForbiddenAsAnonymous) {
  auto kube = api(server_->write_kubeconfig(""));
  ApiOutcome r = kube->patch_label("node1", true);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.error.find("system:anonymous"), std::string::npos) << r.error;
}

TEST_F(KubeApiTest, BadTokenIs401RetriedOnceThenExplained) {
  auto kube = api(server_->write_kubeconfig("", "ca", "    token: wrong\n"));
  ApiOutcome r = kube->patch_label("node1", true);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.error.find("did not accept the credentials"), std::string::npos) << r.error;
  EXPECT_EQ(server_->requests().size(), 2u) << "one retry with freshly read credentials";
  EXPECT_TRUE(slept_.empty());
}

TEST_F(KubeApiTest, TokenFileIsReadForEveryRequest) {
  const std::string token_file = server_->dir() + "/token";
  std::ofstream(token_file) << "wrong\n";
  auto kube = api(server_->write_kubeconfig("", "ca", "    tokenFile: " + token_file + "\n"));
  EXPECT_EQ(kube->patch_label("node1", true).status, 401);
  std::ofstream(token_file) << "node1-token\n";
  ApiOutcome r = kube->patch_label("node1", true);
  EXPECT_TRUE(r.ok) << r.error;
}

TEST_F(KubeApiTest, ServerErrorsAreRetriedWithBackoff) {
  auto kube = api(server_->write_kubeconfig("node1"));
  Json::Value f;
  f["count"] = 2;
  f["status"] = 503;
  server_->fault(f);
  ApiOutcome r = kube->patch_label("node1", true);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(server_->requests().size(), 3u);
  ASSERT_EQ(slept_.size(), 2u);
  EXPECT_GE(slept_[0], milliseconds(125));
  EXPECT_LE(slept_[0], milliseconds(250));
  // Full jitter (issue 30): anywhere from half the first step to the step.
  EXPECT_GE(slept_[1], milliseconds(125));
  EXPECT_LE(slept_[1], milliseconds(500));
}

TEST_F(KubeApiTest, TooManyRequestsHonoursRetryAfter) {
  auto kube = api(server_->write_kubeconfig("node1"));
  Json::Value f;
  f["status"] = 429;
  f["retry_after"] = 2;
  server_->fault(f);
  ApiOutcome r = kube->patch_label("node1", true);
  ASSERT_TRUE(r.ok) << r.error;
  ASSERT_EQ(slept_.size(), 1u);
  // Honoured, stretched by up to half so a fleet does not return at once.
  EXPECT_GE(slept_[0], milliseconds(2000));
  EXPECT_LT(slept_[0], milliseconds(3000));
}

TEST_F(KubeApiTest, PersistentFailureGivesUpBounded) {
  auto kube = api(server_->write_kubeconfig("node1"));
  Json::Value f;
  f["count"] = 50;
  f["status"] = 500;
  server_->fault(f);
  ApiOutcome r = kube->patch_label("node1", true);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("gave up after 5 attempts"), std::string::npos) << r.error;
  EXPECT_EQ(server_->requests().size(), 5u);
}

TEST_F(KubeApiTest, SlowServerTimesOutAndIsRetried) {
  // The timeout is what a retry needs on a busy machine (a TLS handshake and
  // a PATCH); the held request is far past it.
  auto kube = api(server_->write_kubeconfig("node1"), milliseconds(10000));
  Json::Value f;
  f["delay"] = 60;
  server_->fault(f);
  ApiOutcome r = kube->patch_label("node1", true);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(slept_.size(), 1u);
  const Json::Value reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_TRUE(reqs[0]["in_flight"].asBool()) << "the first attempt is still held";
  EXPECT_EQ(label(), "true");
}

TEST_F(KubeApiTest, ConnectionResetIsRetried) {
  auto kube = api(server_->write_kubeconfig("node1"));
  Json::Value f;
  f["reset"] = true;
  server_->fault(f);
  ApiOutcome r = kube->patch_label("node1", true);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(server_->requests().size(), 2u);
}

TEST_F(KubeApiTest, WrongCaIsRefusedBeforeAnythingIsSent) {
  auto kube = api(server_->write_kubeconfig("node1", "rogue-ca"));
  ApiOutcome r = kube->patch_label("node1", true);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("not trusted by the CA"), std::string::npos) << r.error;
  EXPECT_EQ(server_->requests().size(), 0u);
  EXPECT_TRUE(slept_.empty());
}

TEST_F(KubeApiTest, SystemTrustIsNotUsedWhenTheKubeconfigNamesACa) {
  // The server's CA is in neither the kubeconfig nor the system bundle, but
  // the point is the reverse too: only the named CA counts.
  auto kube = api(server_->write_kubeconfig("node1", "rogue-ca"));
  EXPECT_FALSE(kube->patch_label("node1", true).ok);
}

TEST_F(KubeApiTest, InsecureSkipVerifyConnectsAnyway) {
  auto kube = api(
      server_->write_kubeconfig("node1", "rogue-ca", "", "    insecure-skip-tls-verify: true\n"));
  ApiOutcome r = kube->patch_label("node1", true);
  EXPECT_TRUE(r.ok) << r.error;
}

TEST_F(KubeApiTest, TlsServerNameIsVerified) {
  auto kube =
      api(server_->write_kubeconfig("node1", "ca", "", "    tls-server-name: apiserver.test\n"));
  EXPECT_TRUE(kube->patch_label("node1", true).ok);
  auto wrong =
      api(server_->write_kubeconfig("node1", "ca", "", "    tls-server-name: evil.test\n"));
  EXPECT_FALSE(wrong->patch_label("node1", true).ok);
}

TEST_F(KubeApiTest, RotatedCertificateIsPickedUpWithoutRestart) {
  // The kubelet's kubelet-client-current.pem is a symlink it re-points.
  const std::string link = server_->dir() + "/kubelet-client-current.pem";
  auto bundle = [&](const std::string& name) {
    const std::string path = server_->dir() + "/" + name + ".pem";
    std::ofstream out(path);
    for (const char* ext : {".crt", ".key"}) {
      std::ifstream in(server_->pki() + "/" + name + ext);
      out << in.rdbuf();
    }
    return path;
  };
  const std::string first = bundle("node1"), second = bundle("node1-rotated");
  ASSERT_EQ(symlink(first.c_str(), link.c_str()), 0);
  auto kube = api(server_->write_kubeconfig(
      "", "ca", "    client-certificate: " + link + "\n    client-key: " + link + "\n"));
  ASSERT_TRUE(kube->patch_label("node1", true).ok);
  ASSERT_EQ(unlink(link.c_str()), 0);
  ASSERT_EQ(symlink(second.c_str(), link.c_str()), 0);
  ASSERT_TRUE(kube->patch_label("node1", false).ok);
  Json::Value reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_NE(reqs[0]["cert_serial"], reqs[1]["cert_serial"]) << "the new certificate was used";
}

TEST_F(KubeApiTest, EventsAreCreatedThenBumpedThenRecreatedOnNewMessage) {
  auto kube = api(server_->write_kubeconfig("node1"));
  int64_t clock = 1700000000LL * 1000000000LL;
  EventReporter events(*kube, "node1", "host1", [&] { return clock += 1000000000LL; });
  ASSERT_TRUE(events.report("UnexpectedIPTablesRules", "1 unexpected iptables rule: x").ok);
  ASSERT_TRUE(events.report("UnexpectedIPTablesRules", "1 unexpected iptables rule: x").ok);
  Json::Value st = server_->state()["events"];
  ASSERT_EQ(st.size(), 1u);
  const Json::Value& e = st[st.getMemberNames()[0]];
  EXPECT_EQ(e["count"].asInt(), 2);
  EXPECT_EQ(e["involvedObject"]["uid"].asString(), "uid-1234");
  EXPECT_EQ(e["involvedObject"]["kind"].asString(), "Node");
  EXPECT_EQ(e["metadata"]["namespace"].asString(), "default");
  EXPECT_EQ(e["type"].asString(), "Warning");
  EXPECT_EQ(e["source"]["component"].asString(), "azure-iptables-monitor");
  EXPECT_EQ(e["reportingInstance"].asString(), "host1");
  EXPECT_NE(e["firstTimestamp"], e["lastTimestamp"]);
  ASSERT_TRUE(events.report("UnexpectedIPTablesRules", "2 unexpected iptables rules: x; y").ok);
  EXPECT_EQ(server_->state()["events"].size(), 2u);
  // One GET for the UID, then POST, PATCH, POST.
  Json::Value reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[0]["method"].asString(), "GET");
  EXPECT_EQ(reqs[2]["method"].asString(), "PATCH");
  EXPECT_EQ(reqs[2]["content_type"].asString(), "application/merge-patch+json");
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

TEST_F(KubeApiTest, ExpiredClientCertificateIsRefusedAndSaysSo) {
  auto kube = api(server_->write_kubeconfig("node1-expired"));
  ApiOutcome r = kube->patch_label("node1", false);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(server_->requests().size(), 0u)
      << "nothing may be accepted with an expired certificate";
  // With TLS 1.3 the client learns of the rejection only when it reads, so
  // what curl reports varies (the alert, or a closed connection); the
  // message names the certificate problem when the alert arrives.
  EXPECT_FALSE(r.error.empty());
  EXPECT_NE(label(), "false");
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

// Credential files are hostile input: a FIFO, a device or a huge file named
// in a kubeconfig is an error that names it, never a hang or a crash, and
// nothing is sent.

TEST_F(KubeApiTest, FifoKubeconfigIsAnErrorNotAHang) {
  const std::string path = fifo("kubeconfig");
  auto out = test::run_with_deadline(std::chrono::seconds(20), [&] {
    auto c = load_kubeconfig(path);
    return c ? std::string("loaded") : c.error();
  });
  ASSERT_TRUE(out) << "load_kubeconfig hung on a FIFO";
  EXPECT_NE(out->find("kubeconfig " + path), std::string::npos) << *out;
  EXPECT_NE(out->find("a FIFO (named pipe), not a regular file"), std::string::npos) << *out;
}

TEST_F(KubeApiTest, FifoTokenFileIsAnErrorNotAHang) {
  const std::string token = fifo("token");
  const std::string out =
      patch_with_deadline(server_->write_kubeconfig("", "ca", "    tokenFile: " + token + "\n"));
  EXPECT_NE(out.find("cannot use tokenFile of "), std::string::npos) << out;
  EXPECT_NE(out.find(token + ": it is a FIFO (named pipe)"), std::string::npos) << out;
  EXPECT_NE(out.find("[0 retry waits]"), std::string::npos) << out;
  EXPECT_EQ(server_->requests().size(), 0u);
}

TEST_F(KubeApiTest, FifoCaFileIsAnErrorNotAHang) {
  // libcurl would open the CA file itself, with a blocking open.
  const std::string ca = fifo("fifo-ca.crt");
  ASSERT_EQ(rename(ca.c_str(), (server_->pki() + "/fifo-ca.crt").c_str()), 0);
  const std::string out = patch_with_deadline(server_->write_kubeconfig("node1", "fifo-ca"));
  EXPECT_NE(out.find("cannot use certificate-authority of "), std::string::npos) << out;
  EXPECT_NE(out.find("fifo-ca.crt: it is a FIFO (named pipe)"), std::string::npos) << out;
  EXPECT_EQ(server_->requests().size(), 0u);
}

TEST_F(KubeApiTest, FifoClientKeyIsAnErrorNotAHang) {
  const std::string key = fifo("client.key");
  const std::string out = patch_with_deadline(server_->write_kubeconfig(
      "", "ca",
      "    client-certificate: " + server_->pki() + "/node1.crt\n    client-key: " + key + "\n"));
  EXPECT_NE(out.find("cannot use client-key of "), std::string::npos) << out;
  EXPECT_NE(out.find(key + ": it is a FIFO (named pipe)"), std::string::npos) << out;
  EXPECT_EQ(server_->requests().size(), 0u);
}

TEST_F(KubeApiTest, DeviceTokenFileIsRefusedNotReadUntilMemoryRunsOut) {
  const std::string out =
      patch_with_deadline(server_->write_kubeconfig("", "ca", "    tokenFile: /dev/zero\n"));
  EXPECT_NE(out.find("/dev/zero: it is a character device, not a regular file"), std::string::npos)
      << out;
  EXPECT_EQ(server_->requests().size(), 0u);
}

TEST_F(KubeApiTest, HugeTokenFileIsRefusedAtItsCap) {
  const std::string token = server_->dir() + "/huge-token";
  std::ofstream(token) << std::string(100 * 1024, 'a');
  const std::string out =
      patch_with_deadline(server_->write_kubeconfig("", "ca", "    tokenFile: " + token + "\n"));
  EXPECT_NE(out.find(token + ": it is larger than 65536 bytes"), std::string::npos) << out;
  EXPECT_EQ(server_->requests().size(), 0u);
}

TEST_F(KubeApiTest, TokenWithALineBreakInsideIsRefused) {
  const std::string token = server_->dir() + "/token";
  std::ofstream(token) << "node1-token\r\nX-Injected: 1\n";
  const std::string out =
      patch_with_deadline(server_->write_kubeconfig("", "ca", "    tokenFile: " + token + "\n"));
  EXPECT_NE(out.find("spaces or control characters"), std::string::npos) << out;
  EXPECT_EQ(server_->requests().size(), 0u);
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

// This process's peak resident memory (VmHWM), in MB.
long peak_rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6) / 1024;
  return -1;
}

// An API answer is bounded in size and time: a huge or endless body is
// abandoned at the body cap, and one call ends by its retry budget.
class KubeApiResponseBoundsTest : public KubeApiTest {
 protected:
  // patch_label in a child with a generous deadline: "ok" or the error, the
  // retry waits, the seconds it took and how much the peak memory grew.
  std::string bounded_patch(milliseconds timeout, RetryPolicy policy = {}) {
    auto kube = api(server_->write_kubeconfig("node1"), timeout, policy);
    auto out = test::run_with_deadline(std::chrono::seconds(90), [&] {
      const long rss_before = peak_rss_mb();
      const auto started = std::chrono::steady_clock::now();
      ApiOutcome r = kube->patch_label("node1", true);
      const auto took = std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::steady_clock::now() - started);
      std::ostringstream o;
      o << (r.ok ? std::string("ok") : r.error) << "\nwaits=" << slept_.size()
        << " seconds=" << took.count() << " rss_growth_mb=" << peak_rss_mb() - rss_before;
      return o.str();
    });
    return out ? *out : "HUNG or died";
  }
  static long field(const std::string& out, const std::string& name) {
    const size_t at = out.rfind(name + "=");
    return at == std::string::npos ? -1 : std::atol(out.c_str() + at + name.size() + 1);
  }
  // Expects what bounded_patch measured as `name` to be in [0, below).
  static void expect_below(const std::string& out, const std::string& name, long below) {
    EXPECT_GE(field(out, name), 0) << name << " not measured: " << out;
    EXPECT_LT(field(out, name), below) << name << ": " << out;
  }
};

TEST_F(KubeApiResponseBoundsTest, HugeBodyIsRefusedAtTheCapAndNotRetried) {
  Json::Value f;
  f["count"] = 5;
  f["huge_body"] = 100 * 1024 * 1024;
  server_->fault(f);
  const std::string out = bounded_patch(milliseconds(5000));
  EXPECT_NE(out.find("response body larger than 4194304 bytes"), std::string::npos) << out;
  EXPECT_EQ(field(out, "waits"), 0) << out;
  EXPECT_EQ(server_->requests().size(), 1u) << out;
  expect_below(out, "rss_growth_mb", 100);
}

TEST_F(KubeApiResponseBoundsTest, EndlessChunkedBodyIsCutAtTheCap) {
  Json::Value f;
  f["count"] = 5;
  f["endless_body"] = true;
  server_->fault(f);
  const std::string out = bounded_patch(milliseconds(10000));  // the cap ends it, not time
  EXPECT_NE(out.find("response body larger than 4194304 bytes"), std::string::npos) << out;
  expect_below(out, "seconds", 30);
  expect_below(out, "rss_growth_mb", 100);
}

TEST_F(KubeApiResponseBoundsTest, SlowEndlessBodyEndsWithinTheRetryBudget) {
  // Trickled slowly enough never to reach the cap: only time ends it. The
  // request timeout (40 s) is far beyond the call's budget (2 s).
  Json::Value f;
  f["count"] = 50;
  f["endless_body"] = true;
  f["chunk"] = 16;
  f["pause"] = 0.1;
  server_->fault(f);
  RetryPolicy policy;
  policy.budget = milliseconds(2000);
  const std::string out = bounded_patch(milliseconds(40000), policy);
  EXPECT_EQ(out.rfind("ok", 0), std::string::npos) << out;
  EXPECT_NE(out.find("timed out"), std::string::npos) << out;
  EXPECT_EQ(out.find("milliseconds"), std::string::npos) << "timings vary: not in messages " << out;
  expect_below(out, "seconds", 20);
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

TEST_F(KubeApiTest, TransportErrorsDoNotShowAPasswordInTheServerUrl) {
  // parse_kubeconfig refuses such a server; the client redacts it anyway.
  Credentials c;
  c.server = "https://admin:s3cret@" + server_->url().substr(std::string("https://").size());
  c.ca_file = server_->pki() + "/rogue-ca.crt";
  c.source = "test";
  HttpKubeApi kube([c] { return Result<Credentials>(c); }, milliseconds(5000), RetryPolicy{},
                   [this](milliseconds d) {
                     slept_.push_back(d);
                     return true;
                   });
  ApiOutcome r = kube.patch_label("node1", true);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.find("s3cret"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("PATCH https://***@127.0.0.1:"), std::string::npos) << r.error;
  EXPECT_EQ(server_->requests().size(), 0u);
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

TEST_F(KubeApiTest, InvalidNodeNameIsRefusedBeforeAnythingIsSent) {
  auto kube = api(server_->write_kubeconfig("node1"));
  const std::string bad = "node1/../../../api/v1/namespaces/kube-system/secrets/x";
  ApiOutcome patched = kube->patch_label(bad, true);
  EXPECT_FALSE(patched.ok);
  EXPECT_NE(patched.error.find("is not a valid Kubernetes node name"), std::string::npos)
      << patched.error;
  EXPECT_FALSE(kube->get_node(bad).ok);
  EXPECT_EQ(server_->requests().size(), 0u);
}

TEST_F(KubeApiTest, EventNamesAreSentAsOnePathSegment) {
  auto kube = api(server_->write_kubeconfig("node1"));
  Json::Value bump;
  bump["count"] = 2;
  ApiOutcome r = kube->patch_event("x/../../../../apis/cilium.io/v2/ciliumnodes/node1", bump);
  EXPECT_EQ(r.status, 404) << r.error;
  Json::Value reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["path"].asString(),
            "/api/v1/namespaces/default/events/"
            "x%2F..%2F..%2F..%2F..%2Fapis%2Fcilium.io%2Fv2%2Fciliumnodes%2Fnode1");
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

// Failures that another attempt cannot fix are reported at once, saying what
// to change, instead of being tried five times.

TEST_F(KubeApiTest, TlsServerNameTheCertificateDoesNotCoverIsNotRetried) {
  auto kube = api(server_->write_kubeconfig("node1", "ca", "", "    tls-server-name: evil.test\n"));
  ApiOutcome r = kube->patch_label("node1", true);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("evil.test"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("certificate is not issued for that host name"), std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("set server (or tls-server-name)"), std::string::npos) << r.error;
  EXPECT_TRUE(slept_.empty()) << "one attempt, not " << slept_.size() + 1;
  EXPECT_EQ(server_->requests().size(), 0u);
}

TEST_F(KubeApiTest, ServerHostTheCertificateDoesNotCoverIsNotRetried) {
  // This server's certificate names apiserver.test only; the kubeconfig
  // reaches it as 127.0.0.1.
  test::TestApiServer named_only("server-dns-only");
  if (!named_only.running())
    AIM_REQUIRE_OR_SKIP("test API server unavailable: " + named_only.error());
  auto kube = api(named_only.write_kubeconfig("node1"));
  ApiOutcome r = kube->patch_label("node1", true);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("127.0.0.1"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("certificate is not issued for that host name"), std::string::npos)
      << r.error;
  EXPECT_TRUE(slept_.empty()) << "one attempt, not " << slept_.size() + 1;
  EXPECT_EQ(named_only.requests().size(), 0u);
}

TEST_F(KubeApiTest, MissingTokenFileIsNotRetried) {
  const std::string token = server_->dir() + "/no-such-token";
  auto kube = api(server_->write_kubeconfig("", "ca", "    tokenFile: " + token + "\n"));
  ApiOutcome r = kube->patch_label("node1", true);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("cannot use tokenFile of " + server_->dir()), std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("cannot open " + token + ": No such file or directory"), std::string::npos)
      << r.error;
  EXPECT_NE(r.error.find("it must name the file that holds a bearer token"), std::string::npos)
      << r.error;
  EXPECT_TRUE(slept_.empty()) << "one attempt, not " << slept_.size() + 1;
  EXPECT_EQ(server_->requests().size(), 0u);
}

}  // namespace
}  // namespace aim
