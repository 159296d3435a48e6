#pragma once
// A KubeApi that records what it was asked: the one fake of the API seam.
#include <json/json.h>

#include <string>
#include <vector>

#include "kube/kube_api.h"

namespace aim::test {

class FakeKubeApi : public KubeApi {
 public:
  std::vector<std::string> calls;
  bool fail_patch = false;
  std::string node_body = R"({"metadata":{"uid":"u1"}})";  // GET nodes/NODE answers this
  ApiOutcome patch_label(const std::string& node, bool value) override {
    calls.push_back("label " + node + "=" + (value ? "true" : "false"));
    if (fail_patch) return {false, 503, "boom", ""};
    return {true, 200, "", ""};
  }
  // GET ciliumnodes/NODE answers this (a missing label by default).
  std::string ciliumnode_body = R"({"metadata":{"name":"n","resourceVersion":"1"}})";
  ApiOutcome get_ciliumnode(const std::string& node) override {
    calls.push_back("get ciliumnode " + node);
    return {true, 200, "", ciliumnode_body};
  }
  ApiOutcome get_node(const std::string& node) override {
    calls.push_back("get " + node);
    return {true, 200, "", node_body};
  }
  ApiOutcome create_event(const Json::Value& e) override {
    calls.push_back("create " + e["reason"].asString());
    return {true, 201, "", ""};
  }
  ApiOutcome patch_event(const std::string& name, const Json::Value&) override {
    calls.push_back("bump " + name);
    return {true, 200, "", ""};
  }
};

}  // namespace aim::test
