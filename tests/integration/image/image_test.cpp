// The container image (scripts/build-image.sh, `make azure-iptables-monitor-image`)
// run the way etc/kubernetes/daemonset.yaml runs it, with podman standing in
// for the kubelet: the pod's "host network" is a network namespace this test
// made and loaded, its ConfigMaps are directories laid out as the kubelet lays
// them out, its service account is a token the test API server knows, and its
// RBAC is the manifest's.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <json/json.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "netns.h"
#include "require.h"
#include "test_apiserver.h"
#include "yaml_json.h"

namespace aim {
namespace {

using namespace std::chrono_literals;
using test::quote;
using test::run;

// Generous: CI runs the suite on two busy cores. A bound here only has to
// catch "never".
constexpr auto kEvent = 60s;
const std::string kServiceAccountUser = "system:serviceaccount:kube-system:azure-iptables-monitor";
const std::string kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

std::string image() { return std::string("localhost/azure-iptables-monitor:") + AIM_VERSION; }

bool wait_for(const std::function<bool()>& condition, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return condition();
}

// Why the image cannot be built and run here, or empty.
std::string missing_tools() {
  if (geteuid() != 0) return "needs root (podman's storage, network namespaces)";
  for (const char* tool : {"podman", "buildah", "runc", "nsenter", "curl"})
    if (run(std::string("command -v ") + tool + " >/dev/null").status != 0)
      return std::string(tool) + " is not installed (scripts/install-deps.sh installs it)";
  return {};
}

// The documents of etc/kubernetes/daemonset.yaml by kind.
std::vector<Json::Value> manifest_documents(const std::string& kind) {
  std::vector<Json::Value> out;
  for (Json::Value& doc :
       test::yaml_documents_as_json(std::string(AIM_ETC_DIR) + "/kubernetes/daemonset.yaml"))
    if (doc["kind"].asString() == kind) out.push_back(std::move(doc));
  return out;
}

Json::Value daemonset_pod_spec() {
  const auto sets = manifest_documents("DaemonSet");
  return sets.size() == 1 ? sets[0]["spec"]["template"]["spec"] : Json::Value();
}

// A ConfigMap volume as the kubelet writes it: the files in a timestamped
// directory, "..data" linking to it and each key a link through "..data".
std::string configmap_volume(const std::string& dir, const std::string& source) {
  const std::string version = "..2026_11_28_00_00_00.1";
  const std::string script = "mkdir -p " + quote(dir + "/" + version) + " && cp " + quote(source) +
                             "/* " + quote(dir + "/" + version) + " && ln -s " + version + " " +
                             quote(dir + "/..data") + " && cd " + quote(dir) + " && for f in " +
                             version + "/*; do ln -s \"..data/${f##*/}\" \"${f##*/}\"; done";
  return run(script).status == 0 ? "" : "cannot lay out the ConfigMap volume " + dir;
}

class ImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = missing_tools();
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
    // As `make azure-iptables-monitor-image` builds it, from this build's
    // binary. Unchanged contents keep the image (the script compares
    // digests), so the tests of one run build it once.
    const auto built =
        run("BUILD_DIR=" + quote(AIM_BUILD_DIR) + " BINARY=" + quote(test::binary_path()) + " " +
            quote(std::string(AIM_SOURCE_DIR) + "/scripts/build-image.sh") + " 2>&1");
    ASSERT_EQ(built.status, 0) << built.out;
    // podman runs in the machine's namespace (runc refuses the network
    // sysctls podman sets when the container's namespace is its own); the
    // shells run() starts inherit this descriptor.
    host_netns_ = open("/proc/self/ns/net", O_RDONLY);
    ASSERT_GE(host_netns_, 0);
    ASSERT_EQ(test::enter_fresh_netns(), "");
    ASSERT_EQ(run("ip link set lo up").status, 0);
    char tmpl[] = "/tmp/aim-image-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    name_ = "aim-image-test-" + std::to_string(getpid());
  }

  void TearDown() override {
    if (host_netns_ >= 0) {
      run(podman("rm -f -t 0 " + name_) + " >/dev/null 2>&1");
      close(host_netns_);
    }
    if (!dir_.empty()) run("rm -rf " + quote(dir_));
  }

  std::string podman(const std::string& args) const {
    return "nsenter --net=/proc/self/fd/" + std::to_string(host_netns_) +
           " podman --runtime runc --cgroup-manager=cgroupfs " + args;
  }
  // Options of every container here: this test's namespace as the host
  // network (hostNetwork: true), the limits runc needs on this machine, the
  // log kept in a file for `podman logs`.
  std::string run_options() const {
    return "--network ns:/proc/" + std::to_string(getpid()) +
           "/ns/net --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --log-driver k8s-file";
  }

  int host_netns_ = -1;
  std::string dir_, name_;
};

// What `rules` and `check --dry-run` print, and their exit statuses, are the
// host binary's: the image has every extension, library and name table that
// rendering uses, and iptables-nft-save.
TEST_F(ImageTest, RulesAndDryRunCheckPrintWhatTheHostBinaryPrints) {
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("sample-node.v4.rules"), Family::V4), "");
  ASSERT_EQ(test::load_legacy_fixture(test::fixture_path("extensions.v6.rules"), Family::V6), "");
  ASSERT_EQ(test::load_nft_fixture(test::fixture_path("kube-proxy.v4.rules"), Family::V4), "");
  ASSERT_EQ(run("nft -f " + quote(std::string(AIM_SUPPORT_DIR) + "/nftables/kube-proxy.nft") +
                " && nft add table inet aim-image && nft add chain inet aim-image in "
                "'{ type filter hook input priority 0; }' && nft add rule inet aim-image in meta "
                "l4proto gre accept")
                .status,
            0);
  const std::string allow = std::string(AIM_ALLOWLIST_DIR) + "/kube-proxy-node";
  const std::string allow6 = std::string(AIM_ETC_DIR) + "/azure-iptables-monitor/ipv6";
  // The allowlists at the same paths inside, so that messages naming them
  // are equal too.
  const std::string in_container = podman(
      "run --rm " + run_options() + " --cap-drop=all --cap-add=NET_ADMIN,NET_RAW --read-only -v " +
      quote(allow + ":" + allow + ":ro") + " -v " + quote(allow6 + ":" + allow6 + ":ro") + " " +
      image());
  const std::string on_host = "AIM_ENV_FILE=none " + quote(test::binary_path());
  const std::string dirs = " --input " + quote(allow) + " --input6 " + quote(allow6);
  for (const std::string& args :
       {std::string("rules"), std::string("rules --family all"),
        std::string("rules --family all --format save"), std::string("rules --format json"),
        std::string("rules -family=6 -backend=legacy"), "check --dry-run" + dirs,
        "check --dry-run --ipv6 --output json" + dirs,
        "check --dry-run --ipv6 --backend nft" + dirs}) {
    SCOPED_TRACE(args);
    // Standard output and error apart: podman relays them through two pipes,
    // so their interleaving is not the program's.
    const auto host =
        run(on_host + " " + args + " 2>" + quote(dir_ + "/host.err") + "; echo rc=$?");
    const auto image =
        run(in_container + " " + args + " 2>" + quote(dir_ + "/image.err") + "; echo rc=$?");
    EXPECT_EQ(image.out, host.out);
    EXPECT_EQ(run("cat " + quote(dir_ + "/image.err")).out,
              run("cat " + quote(dir_ + "/host.err")).out);
    EXPECT_GT(host.out.size(), 100u) << host.out;  // not two empty outputs
  }
  // The verdicts are what the loaded rules make them: unexpected (the hand-
  // added rule and the native table), so exit status 1 from both.
  EXPECT_NE(run(in_container + " check --dry-run" + dirs + "; echo rc=$?").out.find("rc=1"),
            std::string::npos);
  // No environment file in the image: upstream's defaults, the allowlists at
  // /etc/config/ (where the DaemonSet mounts them).
  const auto by_default =
      run(podman("run --rm " + run_options() + " -v " + quote(allow + ":/etc/config:ro") + " " +
                 image() + " validate -v 2 2>&1"));
  EXPECT_EQ(by_default.status, 0) << by_default.out;
  EXPECT_NE(by_default.out.find("upstream's defaults apply"), std::string::npos) << by_default.out;
  const auto listed = run(on_host + " validate --input " + quote(allow));
  EXPECT_NE(by_default.out.find(listed.out), std::string::npos) << by_default.out << listed.out;
  EXPECT_NE(listed.out.find(" patterns checked"), std::string::npos) << listed.out;
  // Upstream's image has the program at /azure-iptables-monitor, which a
  // manifest's command: may name.
  EXPECT_EQ(run(podman("run --rm " + run_options() + " --entrypoint /azure-iptables-monitor " +
                       image() + " --version"))
                .out,
            std::string(AIM_VERSION) + "\n");
  // The service without NODE_NAME: the documented configuration exit, in a
  // pod's words (the image sets AIM_RUNTIME=pod): the downward API, not an
  // environment file or systemd.
  const auto no_node = run(in_container + " 2>&1; echo rc=$?").out;
  EXPECT_NE(no_node.find("no node name: set NODE_NAME from the downward API"), std::string::npos)
      << no_node;
  EXPECT_EQ(no_node.find("/etc/"), std::string::npos) << no_node;
  EXPECT_EQ(no_node.find("Not restarting"), std::string::npos) << no_node;
  EXPECT_NE(no_node.find("rc=78"), std::string::npos) << no_node;
}

// The service from the image, configured only by the DaemonSet's manifest:
// in-cluster credentials of its ServiceAccount, its RBAC, its arguments
// (upstream's) with a short interval, its ConfigMap mounts, NODE_NAME from the
// downward API, a read-only root and NET_ADMIN/NET_RAW only. It labels the
// node, follows a rule change, logs klog lines and stops on SIGTERM at once.
TEST_F(ImageTest, RunsAsTheDaemonSetSaysLabelsTheNodeAndStopsOnSigterm) {
  const Json::Value pod = daemonset_pod_spec();
  ASSERT_TRUE(pod.isObject()) << "etc/kubernetes/daemonset.yaml has no single DaemonSet";
  ASSERT_TRUE(pod["hostNetwork"].asBool());
  ASSERT_EQ(pod["containers"].size(), 1u);
  const Json::Value& container = pod["containers"][0];

  test::TestApiServer server;
  if (!server.running()) AIM_REQUIRE_OR_SKIP("test API server unavailable: " + server.error());
  Json::Value objects;
  objects["ciliumnodes"].append("node1");
  objects["nodes"]["node1"] = "uid-1";
  server.control("POST", "/_test/objects", objects);
  server.add_token("sa-token-aim", kServiceAccountUser,
                   {"system:serviceaccounts", "system:serviceaccounts:kube-system"});
  // The grants are the manifest's roles, bound to its ServiceAccount.
  for (const char* kind : {"ClusterRoleBinding", "RoleBinding"})
    for (const Json::Value& binding : manifest_documents(kind)) {
      const Json::Value& subject = binding["subjects"][0];
      ASSERT_EQ(subject["kind"].asString() + ":" + subject["namespace"].asString() + ":" +
                    subject["name"].asString(),
                "ServiceAccount:kube-system:" + pod["serviceAccountName"].asString());
    }
  size_t grants = 0;
  for (const char* kind : {"ClusterRole", "Role"})
    for (const Json::Value& role : manifest_documents(kind))
      for (const Json::Value& rule : role["rules"])
        for (const Json::Value& resource : rule["resources"])
          for (const Json::Value& verb : rule["verbs"]) {
            server.allow(kServiceAccountUser, verb.asString(), resource.asString());
            ++grants;
          }
  ASSERT_GT(grants, 0u);

  const std::string sa = dir_ + "/serviceaccount";
  ASSERT_EQ(run("mkdir -p " + quote(sa) + " && printf sa-token-aim > " + quote(sa + "/token") +
                " && printf kube-system > " + quote(sa + "/namespace") + " && cp " +
                quote(server.pki() + "/ca.crt") + " " + quote(sa + "/ca.crt"))
                .status,
            0);
  const std::map<std::string, std::string> configmaps = {
      {"allowed-iptables-patterns", std::string(AIM_ALLOWLIST_DIR) + "/kube-proxy-node"},
      {"allowed-ip6tables-patterns", std::string(AIM_ETC_DIR) + "/azure-iptables-monitor/ipv6"}};
  std::map<std::string, std::string> volume_dirs;  // volume name -> directory
  for (const Json::Value& volume : pod["volumes"]) {
    const std::string cm = volume["configMap"]["name"].asString();
    ASSERT_TRUE(configmaps.count(cm)) << "unexpected volume " << volume;
    const std::string dir = dir_ + "/" + cm;
    ASSERT_EQ(configmap_volume(dir, configmaps.at(cm)), "");
    volume_dirs[volume["name"].asString()] = dir;
  }

  std::string options = run_options() + " -d --name " + name_;
  const Json::Value& security = container["securityContext"];
  for (const Json::Value& cap : security["capabilities"]["drop"])
    options += " --cap-drop=" + cap.asString();
  for (const Json::Value& cap : security["capabilities"]["add"])
    options += " --cap-add=" + cap.asString();
  // The kubelet mounts no tmpfs over a read-only root.
  if (security["readOnlyRootFilesystem"].asBool())
    options += " --read-only --read-only-tmpfs=false";
  if (security.isMember("allowPrivilegeEscalation") &&
      !security["allowPrivilegeEscalation"].asBool())
    options += " --security-opt no-new-privileges";
  for (const Json::Value& env : container["env"]) {
    ASSERT_EQ(env["valueFrom"]["fieldRef"]["fieldPath"].asString(), "spec.nodeName") << env;
    options += " -e " + env["name"].asString() + "=node1";
  }
  const std::string port = server.url().substr(server.url().rfind(':') + 1);
  options += " -e KUBERNETES_SERVICE_HOST=127.0.0.1 -e KUBERNETES_SERVICE_PORT=" + port;
  options += " -v " + quote(sa + ":" + kServiceAccountDir + ":ro");
  for (const Json::Value& mount : container["volumeMounts"])
    options += " -v " + quote(volume_dirs.at(mount["name"].asString()) + ":" +
                              mount["mountPath"].asString() + ":ro");
  std::string args;
  for (const Json::Value& arg : container["args"]) args += " " + quote(arg.asString());
  args += " --interval=1 -v 3";  // upstream's spelling; the later flags win

  // The sample node, through iptables-nft as on most nodes today: the one
  // rule added by hand (filter INPUT 5) is not on the allowlist.
  ASSERT_EQ(test::load_nft_fixture(test::fixture_path("sample-node.v4.rules"), Family::V4), "");
  const auto started = run(podman("run " + options + " " + image() + args) + " 2>&1");
  ASSERT_EQ(started.status, 0) << started.out;
  const auto logs = [&] { return run(podman("logs " + name_) + " 2>&1").out; };
  ASSERT_TRUE(wait_for([&] { return server.label() == "true"; }, kEvent)) << logs();

  ASSERT_EQ(run("iptables-nft -D INPUT 5").status, 0);
  ASSERT_TRUE(wait_for([&] { return server.label() == "false"; }, kEvent)) << logs();

  // The manifest's probes, sent from the host as a kubelet sends them
  // (podman would run curl inside the container, which a scratch image
  // lacks): this namespace is the pod's host network.
  size_t probes = 0;
  for (const char* probe : {"livenessProbe", "readinessProbe"}) {
    const Json::Value& get = container[probe]["httpGet"];
    ASSERT_TRUE(get.isObject()) << probe;
    const std::string url = "http://" + get.get("host", "127.0.0.1").asString() + ":" +
                            get["port"].asString() + get["path"].asString();
    const auto answer = run("curl -s --max-time 5 -w ' %{http_code}' " + quote(url));
    EXPECT_EQ(answer.out, "ok\n 200") << probe << " " << url << "\n" << logs();
    ++probes;
  }
  EXPECT_EQ(probes, 2u);
  // What a scraper on the node gets from the declared port.
  const std::string metrics_port = container["ports"][0]["containerPort"].asString();
  const auto scraped = run("curl -sf --max-time 5 http://127.0.0.1:" + metrics_port + "/metrics");
  EXPECT_EQ(scraped.status, 0) << logs();
  EXPECT_NE(scraped.out.find("azure_iptables_monitor_verdict{verdict=\"clean\"} 1\n"),
            std::string::npos)
      << scraped.out;
  EXPECT_NE(scraped.out.find("azure_iptables_monitor_allowlist_patterns{family=\"ipv6\"} "),
            std::string::npos)
      << scraped.out;

  bool as_service_account = false;
  for (const Json::Value& r : server.requests())
    as_service_account |= r["method"].asString() == "PATCH" && r["user"] == kServiceAccountUser;
  EXPECT_TRUE(as_service_account) << server.requests();

  const auto stop_started = std::chrono::steady_clock::now();
  const auto stopped = run(podman("stop -t 10 " + name_) + " 2>&1");
  const auto stop_took = std::chrono::steady_clock::now() - stop_started;
  ASSERT_EQ(stopped.status, 0) << stopped.out;
  // podman itself takes a moment; a SIGTERM ignored would take the full 10 s.
  EXPECT_LT(stop_took, 5s);
  EXPECT_EQ(run(podman("inspect --format '{{.State.ExitCode}}' " + name_)).out, "0\n");

  const std::string log = logs();
  const std::regex klog(R"(^[IWE]\d{4} \d{2}:\d{2}:\d{2}\.\d{6} +1 azure-iptables-monitor\] .+$)");
  std::istringstream lines(log);
  size_t count = 0;
  for (std::string line; std::getline(lines, line); ++count)
    EXPECT_TRUE(std::regex_match(line, klog)) << "not a klog line: " << line;
  EXPECT_GT(count, 3u) << log;
  EXPECT_NE(log.find("verdict clean"), std::string::npos) << log;
  // The manifest's RBAC allows every request the program sent, the
  // CiliumNode watch's list and watch included.
  EXPECT_EQ(log.find("403 Forbidden"), std::string::npos) << log;
  EXPECT_NE(log.find("watching CiliumNode node1"), std::string::npos) << log;
  // A pod speaks of its own levers, never the package's.
  EXPECT_EQ(log.find("/etc/default"), std::string::npos) << log;
  EXPECT_EQ(log.find("systemd"), std::string::npos) << log;
  EXPECT_EQ(log.find("cannot watch CiliumNode"), std::string::npos) << log;
}

// The manifest has upstream's sidecar shape and this version's image.
TEST(DaemonSetManifest, HasUpstreamsShape) {
  const Json::Value pod = daemonset_pod_spec();
  ASSERT_TRUE(pod.isObject());
  EXPECT_TRUE(pod["hostNetwork"].asBool());
  ASSERT_EQ(pod["containers"].size(), 1u);
  const Json::Value& c = pod["containers"][0];
  EXPECT_EQ(c["image"].asString(), image());
  EXPECT_FALSE(c.isMember("command")) << "the image's entrypoint is the program";
  const Json::Value& security = c["securityContext"];
  EXPECT_TRUE(security["readOnlyRootFilesystem"].asBool());
  std::set<std::string> added, dropped;
  for (const Json::Value& cap : security["capabilities"]["add"]) added.insert(cap.asString());
  for (const Json::Value& cap : security["capabilities"]["drop"]) dropped.insert(cap.asString());
  EXPECT_EQ(added, (std::set<std::string>{"NET_ADMIN", "NET_RAW"}));
  EXPECT_EQ(dropped, (std::set<std::string>{"ALL"}));
  std::map<std::string, std::string> mounts;  // mount path -> ConfigMap
  std::map<std::string, std::string> configmap_of;
  for (const Json::Value& v : pod["volumes"])
    configmap_of[v["name"].asString()] = v["configMap"]["name"].asString();
  for (const Json::Value& m : c["volumeMounts"]) {
    EXPECT_TRUE(m["readOnly"].asBool()) << m;
    mounts[m["mountPath"].asString()] = configmap_of[m["name"].asString()];
  }
  EXPECT_EQ(mounts,
            (std::map<std::string, std::string>{{"/etc/config/", "allowed-iptables-patterns"},
                                                {"/etc/config6/", "allowed-ip6tables-patterns"}}));
  // RBAC: what the program sends, nothing more (events only where Node
  // Events live).
  std::set<std::string> grants;  // "namespace group/resource verb"
  for (const char* kind : {"ClusterRole", "Role"})
    for (const Json::Value& role : manifest_documents(kind))
      for (const Json::Value& rule : role["rules"])
        for (const Json::Value& group : rule["apiGroups"])
          for (const Json::Value& resource : rule["resources"])
            for (const Json::Value& verb : rule["verbs"])
              grants.insert(role["metadata"].get("namespace", "*").asString() + " " +
                            group.asString() + "/" + resource.asString() + " " + verb.asString());
  EXPECT_EQ(grants, (std::set<std::string>{
                        "* cilium.io/ciliumnodes get", "* cilium.io/ciliumnodes list",
                        "* cilium.io/ciliumnodes watch", "* cilium.io/ciliumnodes patch",
                        "* /nodes get", "default /events create", "default /events patch"}));
  // The probes ask /healthz where --listen serves it.
  std::string listen;
  for (const Json::Value& arg : c["args"])
    if (arg.asString().rfind("--listen=", 0) == 0) listen = arg.asString().substr(9);
  ASSERT_FALSE(listen.empty()) << "no --listen in the arguments";
  for (const char* probe : {"livenessProbe", "readinessProbe"}) {
    const Json::Value& get = c[probe]["httpGet"];
    EXPECT_EQ(get["host"].asString() + ":" + get["port"].asString(), listen) << probe;
    EXPECT_EQ(get["path"].asString(), "/healthz") << probe;
  }
  EXPECT_EQ("127.0.0.1:" + c["ports"][0]["containerPort"].asString(), listen);
  ASSERT_EQ(c["env"].size(), 1u);
  EXPECT_EQ(c["env"][0]["name"].asString(), "NODE_NAME");
  EXPECT_EQ(c["env"][0]["valueFrom"]["fieldRef"]["fieldPath"].asString(), "spec.nodeName");
  // The arguments parse: without a node name the service stops for that
  // reason, not for a flag.
  std::string args;
  for (const Json::Value& arg : c["args"]) args += " " + quote(arg.asString());
  const auto service = run("env -u NODE_NAME AIM_ENV_FILE=none " + quote(test::binary_path()) +
                           args + " 2>&1; echo rc=$?");
  EXPECT_NE(service.out.find("no node name"), std::string::npos) << service.out;
  EXPECT_NE(service.out.find("rc=78"), std::string::npos) << service.out;
}

}  // namespace
}  // namespace aim
