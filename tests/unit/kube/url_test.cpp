// What URLs look like in messages: no user name, password or query.
#include "kube/url.h"

#include <gtest/gtest.h>

#include <sstream>

#include "kube/api_errors.h"
#include "kube/kubeconfig.h"
#include "reconcile/cluster_requests.h"

namespace aim {
namespace {

TEST(KubeApiUrl, RedactKeepsSchemeHostPortAndPath) {
  EXPECT_EQ(redact_url("https://10.0.0.1:6443/api/v1/nodes/n1"),
            "https://10.0.0.1:6443/api/v1/nodes/n1");
  EXPECT_EQ(redact_url("https://[fd00::1]:443"), "https://[fd00::1]:443");
  EXPECT_EQ(redact_url(""), "");
}

TEST(KubeApiUrl, RedactHidesUserinfo) {
  EXPECT_EQ(redact_url("https://admin:PASS@host:6443/api"), "https://***@host:6443/api");
  EXPECT_EQ(redact_url("https://token@host"), "https://***@host");
  EXPECT_EQ(redact_url("http://a:b@h"), "http://***@h");
  EXPECT_EQ(redact_url("admin:PASS@host/x"), "***@host/x") << "no scheme";
  // Unencoded '@', '/', '?' or '#' in a password: still nothing of it shows.
  EXPECT_EQ(redact_url("https://admin:p@ss@host"), "https://***@host");
  EXPECT_EQ(redact_url("https://admin:pa/ss@host/api"), "https://***@host/api");
  EXPECT_EQ(redact_url("https://admin:pa#ss@host"), "https://***@host");
  EXPECT_EQ(redact_url("https://admin:pa?ss@host"), "https://***@host");
}

TEST(KubeApiUrl, RedactDropsQueryAndFragment) {
  EXPECT_EQ(redact_url("https://h/api?token=SECRET"), "https://h/api");
  EXPECT_EQ(redact_url("https://h/api#frag"), "https://h/api");
  EXPECT_EQ(redact_url("https://u:p@h/api?x=1#y"), "https://***@h/api");
}

const char* kKubeconfigWithPassword = R"(current-context: x
clusters:
- name: c
  cluster:
    server: SERVER
contexts:
- name: x
  context:
    cluster: c
    user: u
users:
- name: u
  user:
    token: abc
)";

std::string kubeconfig_error(const std::string& server) {
  std::string yaml = kKubeconfigWithPassword;
  yaml.replace(yaml.find("SERVER"), 6, server);
  auto c = parse_kubeconfig(yaml, "/d", "/etc/k");
  return c ? "" : c.error();
}

TEST(KubeApiUrl, KubeconfigServerWithUserinfoIsRefusedWithoutShowingThePassword) {
  const std::string e = kubeconfig_error("https://admin:s3cret@10.0.0.1:6443");
  EXPECT_NE(e.find("kubeconfig /etc/k: server https://***@10.0.0.1:6443 has a user name or "
                   "password in it"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("use a client certificate or token"), std::string::npos) << e;
  EXPECT_EQ(e.find("s3cret"), std::string::npos) << e;
  EXPECT_EQ(e.find("admin"), std::string::npos) << e;
  // Refused for the user name or password, not (first) for the scheme: the
  // message must not show either.
  const std::string clear = kubeconfig_error("http://admin:s3cret@10.0.0.1");
  EXPECT_FALSE(clear.empty());
  EXPECT_EQ(clear.find("s3cret"), std::string::npos) << clear;
}

TEST(KubeApiUrl, ApiFailureMessagesRedactTheServer) {
  ApiCall call{"patch", "ciliumnodes.cilium.io/n", "https://admin:s3cret@h:6443", "/k", "me"};
  for (long status : {401L, 403L, 404L, 500L}) {
    const std::string m = describe_api_failure(call, status, "");
    EXPECT_EQ(m.find("s3cret"), std::string::npos) << m;
    EXPECT_NE(m.find("on https://***@h:6443"), std::string::npos) << m;
  }
}

TEST(KubeApiUrl, DryRunOutputRedactsTheServer) {
  Report report;
  report.verdict = Verdict::Clean;
  std::ostringstream out;
  print_dry_run(out, "https://admin:s3cret@h:6443", "node1", false, report);
  EXPECT_EQ(out.str().find("s3cret"), std::string::npos) << out.str();
  EXPECT_NE(
      out.str().find("would send PATCH https://***@h:6443/apis/cilium.io/v2/ciliumnodes/node1"),
      std::string::npos)
      << out.str();
}

}  // namespace
}  // namespace aim
