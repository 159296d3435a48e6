#pragma once
// What the test API server (test_apiserver.py) imitates of kube-apiserver,
// as raw requests and the answers they get. The same requests go to the
// stand-in (kube_api_test) and to a real kube-apiserver v1.20.2
// (real_apiserver_test), so the stand-in cannot drift from the real thing.
// They are sent as node1, the kubelet's identity the product uses (allowed to
// patch CiliumNodes by etc/kubernetes/rbac.yaml), through the product's own
// HttpClient.
//
// Not here: a 429 comes as text/plain with Retry-After (the stand-in's
// "status": 429 fault). A real server answers so only when overloaded (its
// max-in-flight or priority-and-fairness limits), which cannot be brought
// about on demand in a test; the stand-in follows kube-apiserver's source.
#include <gtest/gtest.h>
#include <json/json.h>

#include <chrono>
#include <ctime>
#include <sstream>
#include <string>
#include <vector>

#include "kube/events.h"
#include "kube/http_client.h"

namespace aim::test {

struct ApiServerFact {
  std::string what;
  HttpRequest request;
  long status = 0;
  std::string reason;  // the Status object's "reason" when it is an error
  // The Status's details.name, when the answer must name the object (a
  // missing one: how a 404 is told from a missing type, issue 28).
  std::string details_name = {};
};

inline std::string compact_json(const Json::Value& v) {
  Json::StreamWriterBuilder b;
  b["indentation"] = "";
  return Json::writeString(b, v);
}

// `node_uid` is node1's Node UID; event names get `tag` so that runs against
// one server do not collide.
inline std::vector<ApiServerFact> apiserver_facts(const std::string& node_uid,
                                                  const std::string& tag) {
  const std::string cilium_node = "/apis/cilium.io/v2/ciliumnodes/node1";
  const std::string label = R"({"metadata":{"labels":{"kubernetes.azure.com/user-iptables-rules":)";
  const std::string string_label = label + R"("true"}}})";
  const std::string bool_label = label + "true}}}";
  auto node_event = [&](const std::string& ns) {
    EventSpec spec{"node1", node_uid, "node1", "UnexpectedIPTablesRules", "fact check"};
    Json::Value e = new_event(spec, "node1." + tag + "-" + ns, std::time(nullptr));
    e["metadata"]["namespace"] = ns;
    return compact_json(e);
  };
  return {
      {"a label as a JSON merge patch is applied",
       {"PATCH", cilium_node, string_label, "application/merge-patch+json"},
       200,
       ""},
      {"a PATCH as plain JSON is refused: merge patch only",
       {"PATCH", cilium_node, string_label, "application/json"},
       415,
       "UnsupportedMediaType"},
      {"a strategic merge patch of a CiliumNode is refused: merge patch only",
       {"PATCH", cilium_node, string_label, "application/strategic-merge-patch+json"},
       415,
       "UnsupportedMediaType"},
      {"a label value that is a bool, not a string, is invalid",
       {"PATCH", cilium_node, bool_label, "application/merge-patch+json"},
       422,
       "Invalid"},
      {"a Node Event in namespace default is created",
       {"POST", "/api/v1/namespaces/default/events", node_event("default"), "application/json"},
       201,
       ""},
      {"a Node Event in another namespace is invalid",
       {"POST", "/api/v1/namespaces/kube-system/events", node_event("kube-system"),
        "application/json"},
       422,
       "Invalid"},
      {"a missing CiliumNode is a 404 naming it",
       {"PATCH", "/apis/cilium.io/v2/ciliumnodes/node9", string_label,
        "application/merge-patch+json"},
       404,
       "NotFound",
       "node9"},
      {"a missing Node is a 404 naming it, readable by a node's identity",
       {"GET", "/api/v1/nodes/node9", "", ""},
       404,
       "NotFound",
       "node9"},
  };
}

// Sends every fact's request with `credentials` and expects its answer.
inline void expect_answers_like_kube_apiserver(const Credentials& credentials,
                                               const std::string& node_uid,
                                               const std::string& tag) {
  HttpClient http(std::chrono::seconds(30));
  for (const ApiServerFact& fact : apiserver_facts(node_uid, tag)) {
    SCOPED_TRACE(fact.what);
    auto r = http.send(credentials, fact.request);
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r->status, fact.status) << r->body;
    if (fact.reason.empty()) continue;
    Json::Value status;
    std::istringstream in(r->body);
    std::string errors;
    EXPECT_TRUE(Json::parseFromStream(Json::CharReaderBuilder(), in, &status, &errors)) << r->body;
    EXPECT_EQ(status["kind"].asString(), "Status") << r->body;
    EXPECT_EQ(status["reason"].asString(), fact.reason) << r->body;
    EXPECT_EQ(status["code"].asInt64(), fact.status) << r->body;
    if (!fact.details_name.empty()) {
      EXPECT_EQ(status["details"]["name"].asString(), fact.details_name) << r->body;
    }
  }
}

}  // namespace aim::test
