#include "test_apiserver.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "kube/events.h"
#include "kube/http_client.h"

namespace aim::test {

TestApiServer::TestApiServer(const std::string& server_cert) {
  char tmpl[] = "/tmp/aim-apiserver-XXXXXX";
  dir_ = mkdtemp(tmpl);
  pki_ = dir_ + "/pki";
  const std::string make = std::string(AIM_SUPPORT_DIR) + "/make_test_pki.sh '" + pki_ + "'";
  if (std::system(make.c_str()) != 0) {
    error_ = "making the test PKI failed (openssl installed?)";
    return;
  }
  server_cert_ = server_cert;
  spawn(0);
}

bool TestApiServer::spawn(int port) {
  const std::string port_file = dir_ + "/port";
  unlink(port_file.c_str());
  const std::string script = std::string(AIM_SUPPORT_DIR) + "/test_apiserver.py";
  const std::string port_text = std::to_string(port);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    // The server dies with its test (even one killed outright), so it needs
    // no lifetime of its own: soaks run for as long as they are asked to.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    execlp("python3", "python3", script.c_str(), "--pki", pki_.c_str(), "--port-file",
           port_file.c_str(), "--cert", server_cert_.c_str(), "--port", port_text.c_str(),
           "--lifetime", "0", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    std::ifstream in(port_file);
    if (in >> port_) return true;
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "the test API server exited at start";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  error_ = "the test API server did not start within 5 s";
  return false;
}

void TestApiServer::stop() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

bool TestApiServer::restart() {
  const int port = port_;
  stop();
  return spawn(port);
}

TestApiServer::~TestApiServer() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  std::system(("rm -rf '" + dir_ + "'").c_str());
}

Json::Value TestApiServer::control(const std::string& method, const std::string& path,
                                   const Json::Value& body) {
  Credentials admin;
  admin.server = url();
  admin.ca_file = pki_ + "/ca.crt";
  admin.token = "admin";
  HttpClient http(std::chrono::seconds(10));
  std::string text;
  if (!body.isNull()) {
    Json::StreamWriterBuilder b;
    b["indentation"] = "";
    text = Json::writeString(b, body);
  }
  auto r = http.send(admin, {method, path, text, "application/json"});
  Json::Value out;
  if (!r) return out;
  std::istringstream in(r->body);
  std::string errs;
  Json::parseFromStream(Json::CharReaderBuilder(), in, &out, &errs);
  return out;
}

void TestApiServer::add_node1() {
  Json::Value objects;
  objects["ciliumnodes"].append("node1");
  objects["nodes"]["node1"] = "uid-1";
  control("POST", "/_test/objects", objects);
  for (const char* verb : {"patch", "get", "list", "watch"})
    allow("system:node:node1", verb, "ciliumnodes");
  allow("system:node:node1", "get", "nodes");
  allow("system:node:node1", "*", "events");
}

void TestApiServer::set_ciliumnode_label(const std::string& node, const std::string& key,
                                         const Json::Value& value) {
  Json::Value body;
  body["name"] = node;
  body["labels"][key] = value;
  control("POST", "/_test/labels", body);
}

void TestApiServer::create_ciliumnode(const std::string& node) {
  Json::Value objects;
  objects["ciliumnodes"].append(node);
  control("POST", "/_test/objects", objects);
}

void TestApiServer::delete_ciliumnode(const std::string& node) {
  Json::Value body;
  body["name"] = node;
  control("POST", "/_test/delete", body);
}

void TestApiServer::watch_fault(const std::string& kind, int count) {
  Json::Value body;
  body["kind"] = kind;
  body["count"] = count;
  control("POST", "/_test/watch_faults", body);
}

size_t TestApiServer::count_requests(const std::string& method, const std::string& prefix) {
  size_t n = 0;
  for (const Json::Value& r : requests())
    n += r["method"].asString() == method && r["path"].asString().rfind(prefix, 0) == 0;
  return n;
}

size_t TestApiServer::delayed_in_flight() {
  size_t n = 0;
  for (const Json::Value& r : requests())
    n += r["in_flight"].asBool() && r["fault"].isObject() && r["fault"]["delay"].asDouble() > 0;
  return n;
}

std::string TestApiServer::label(const std::string& node) {
  return state()["ciliumnodes"][node][kLabelKey].asString();
}

void TestApiServer::allow(const std::string& user, const std::string& verb,
                          const std::string& resource) {
  Json::Value grant;
  grant["user"] = user;
  grant["verb"] = verb;
  grant["resource"] = resource;
  control("POST", "/_test/allow", grant);
}

void TestApiServer::add_token(const std::string& token, const std::string& user,
                              const std::vector<std::string>& groups) {
  Json::Value t;
  t["token"] = token;
  t["user"] = user;
  t["groups"] = Json::arrayValue;
  for (const auto& g : groups) t["groups"].append(g);
  control("POST", "/_test/tokens", t);
}

std::string TestApiServer::write_kubeconfig(const std::string& client, const std::string& ca,
                                            const std::string& extra_user_yaml,
                                            const std::string& extra_cluster_yaml) {
  const std::string path = dir_ + "/kubeconfig-" + client;
  std::ofstream out(path);
  out << "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
      << "clusters:\n- name: test\n  cluster:\n    server: " << url() << "\n"
      << "    certificate-authority: " << pki_ << "/" << ca << ".crt\n"
      << extra_cluster_yaml
      << "contexts:\n- name: test\n  context:\n    cluster: test\n    user: node\n"
      << "users:\n- name: node\n  user:\n";
  if (!client.empty())
    out << "    client-certificate: " << pki_ << "/" << client << ".crt\n"
        << "    client-key: " << pki_ << "/" << client << ".key\n";
  out << extra_user_yaml;
  return path;
}

}  // namespace aim::test
