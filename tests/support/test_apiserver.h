#pragma once
// Runs tests/support/test_apiserver.py with a fresh PKI for one test, and
// talks to its control endpoints.
#include <json/json.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "kube/kubeconfig.h"

namespace aim::test {

class TestApiServer {
 public:
  // Makes a PKI in a temp dir and starts the server with `server_cert`.
  explicit TestApiServer(const std::string& server_cert = "server");
  ~TestApiServer();
  TestApiServer(const TestApiServer&) = delete;
  TestApiServer& operator=(const TestApiServer&) = delete;

  bool running() const { return port_ > 0; }
  // Stops the server (connections refused), and starts it again on the same
  // port with the same PKI; its state starts empty.
  void stop();
  bool restart();
  const std::string& error() const { return error_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  const std::string& pki() const { return pki_; }
  const std::string& dir() const { return dir_; }

  // Control calls (admin token). Returns the parsed JSON answer.
  Json::Value control(const std::string& method, const std::string& path,
                      const Json::Value& body = Json::Value());
  Json::Value requests() { return control("GET", "/_test/requests"); }
  // API requests the server has received and a "delay" fault still holds.
  size_t delayed_in_flight();
  Json::Value state() { return control("GET", "/_test/state"); }
  void allow(const std::string& user, const std::string& verb, const std::string& resource);
  void fault(const Json::Value& fault) { control("POST", "/_test/faults", fault); }
  void reset() { control("POST", "/_test/reset"); }
  // A bearer token authenticating as `user` in `groups` (a service account's).
  void add_token(const std::string& token, const std::string& user,
                 const std::vector<std::string>& groups = {});
  // The user-iptables-rules label on `node`'s CiliumNode ("" when unset).
  std::string label(const std::string& node = "node1");

  // Another client sets (or, with null, removes) a label on a CiliumNode.
  void set_ciliumnode_label(const std::string& node, const std::string& key,
                            const Json::Value& value);
  // Creates / deletes a CiliumNode (watchers see ADDED / DELETED).
  void create_ciliumnode(const std::string& node);
  void delete_ciliumnode(const std::string& node);
  // Drops the history: a watch resuming an older version gets 410 Gone.
  void compact() { control("POST", "/_test/compact"); }
  // Whether the CiliumNode type is served (false: as in a cluster without
  // Cilium's CRDs).
  void set_crd_installed(bool installed) {
    Json::Value body;
    body["installed"] = installed;
    control("POST", "/_test/crd", body);
  }
  // Ends every open watch as its timeout would (clients resume).
  void end_watches() { control("POST", "/_test/end_watches"); }
  // The next `count` watch requests meet `kind` (cut, garbage, huge,
  // other_object, gone, error500, hang).
  void watch_fault(const std::string& kind, int count = 1);
  // How many API requests were made with `method` whose path starts with `prefix`.
  size_t count_requests(const std::string& method, const std::string& prefix);

  // The objects and grants of a cluster with one node, node1 (UID uid-1): its
  // CiliumNode and Node, and what the kubelet identity needs (as
  // etc/kubernetes/rbac.yaml grants: patch, get, list and watch CiliumNodes).
  void add_node1();

  // Writes a kubeconfig in dir() using client certificate `client` (files,
  // by path) and returns its path. `ca` names the CA file in pki().
  std::string write_kubeconfig(const std::string& client, const std::string& ca = "ca",
                               const std::string& extra_user_yaml = "",
                               const std::string& extra_cluster_yaml = "");

 private:
  bool spawn(int port);
  std::string dir_, pki_, error_, server_cert_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace aim::test
