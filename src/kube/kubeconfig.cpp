#include "kube/kubeconfig.h"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "kube/url.h"
#include "util/fd.h"
#include "util/sandbox_paths.h"

namespace aim {
namespace {

std::string dir_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string resolve(const std::string& path, const std::string& base_dir) {
  if (path.empty() || path[0] == '/') return path;
  return base_dir + "/" + path;
}

bool exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

// The named entry of a kubeconfig list ("clusters", "users", "contexts").
std::optional<YAML::Node> find_named(const YAML::Node& root, const char* list,
                                     const std::string& name) {
  const YAML::Node entries = root[list];
  if (!entries || !entries.IsSequence()) return std::nullopt;
  for (const auto& entry : entries)
    if (entry["name"] && entry["name"].IsScalar() && entry["name"].as<std::string>() == name)
      return entry;
  return std::nullopt;
}

std::string text(const YAML::Node& map, const char* key) {
  const YAML::Node v = map[key];
  return v && v.IsScalar() ? v.as<std::string>() : std::string();
}

}  // namespace

std::string base64_decode(const std::string& in, bool* ok) {
  static const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  *ok = true;
  for (char c : in) {
    if (c == '=' || c == '\n' || c == '\r' || c == ' ') continue;
    const size_t v = alphabet.find(c);
    if (v == std::string::npos) {
      *ok = false;
      return {};
    }
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

Result<Credentials> parse_kubeconfig(const std::string& yaml, const std::string& base_dir,
                                     const std::string& source) {
  auto fail = [&](const std::string& why) { return Error{"kubeconfig " + source + ": " + why}; };
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return fail("not valid YAML: " + std::string(e.what()));
  }
  if (!root.IsMap()) return fail("not a kubeconfig (expected a YAML map)");

  try {
    const std::string context_name = text(root, "current-context");
    std::optional<YAML::Node> context = find_named(root, "contexts", context_name);
    if (!context) {
      return fail(context_name.empty() ? "no current-context is set"
                                       : "current-context '" + context_name + "' is not defined");
    }
    const YAML::Node ctx = (*context)["context"];
    const std::string cluster_name = ctx ? text(ctx, "cluster") : "";
    const std::string user_name = ctx ? text(ctx, "user") : "";
    const std::optional<YAML::Node> cluster_entry = find_named(root, "clusters", cluster_name);
    if (!cluster_entry || !(*cluster_entry)["cluster"])
      return fail("cluster '" + cluster_name + "' of the current context is not defined");
    const YAML::Node cluster = (*cluster_entry)["cluster"];

    Credentials c;
    c.source = source;
    c.server = text(cluster, "server");
    if (c.server.empty()) return fail("cluster '" + cluster_name + "' has no server");
    while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
    // Credentials in the URL would end up in messages and logs; the API
    // server does not take them there anyway.
    if (c.server.find('@') != std::string::npos)
      return fail("server " + redact_url(c.server) +
                  " has a user name or password in it (user:password@): the API server does not "
                  "take credentials in its URL; remove them and use a client certificate or token");
    if (c.server.rfind("https://", 0) != 0)
      return fail("server " + redact_url(c.server) +
                  " is not https://: refusing to send credentials in clear");
    c.ca_file = resolve(text(cluster, "certificate-authority"), base_dir);
    bool ok = true;
    if (const std::string data = text(cluster, "certificate-authority-data"); !data.empty()) {
      c.ca_pem = base64_decode(data, &ok);
      if (!ok) return fail("certificate-authority-data is not valid base64");
    }
    c.tls_server_name = text(cluster, "tls-server-name");
    c.insecure_skip_tls_verify = text(cluster, "insecure-skip-tls-verify") == "true";

    if (!user_name.empty()) {
      const std::optional<YAML::Node> user_entry = find_named(root, "users", user_name);
      if (!user_entry)
        return fail("user '" + user_name + "' of the current context is not defined");
      const YAML::Node user = (*user_entry)["user"];
      if (user && user["exec"])
        return fail("user '" + user_name +
                    "' uses an exec credential plugin, which is not supported: use client "
                    "certificates or a token (the kubelet's kubeconfig has them)");
      if (user && user["auth-provider"])
        return fail("user '" + user_name +
                    "' uses an auth-provider plugin, which is not supported: use client "
                    "certificates or a token");
      if (user) {
        c.cert_file = resolve(text(user, "client-certificate"), base_dir);
        c.key_file = resolve(text(user, "client-key"), base_dir);
        if (const std::string d = text(user, "client-certificate-data"); !d.empty()) {
          c.cert_pem = base64_decode(d, &ok);
          if (!ok) return fail("client-certificate-data is not valid base64");
        }
        if (const std::string d = text(user, "client-key-data"); !d.empty()) {
          c.key_pem = base64_decode(d, &ok);
          if (!ok) return fail("client-key-data is not valid base64");
        }
        c.token = text(user, "token");
        c.token_file = resolve(text(user, "tokenFile"), base_dir);
      }
    }
    const bool has_cert = !c.cert_file.empty() || !c.cert_pem.empty();
    const bool has_key = !c.key_file.empty() || !c.key_pem.empty();
    if (has_cert != has_key)
      return fail("user '" + user_name +
                  "' has a client certificate without its key, or a key "
                  "without its certificate");
    c.identity_hint = has_cert ? "the client certificate of user '" + user_name + "'"
                      : (!c.token.empty() || !c.token_file.empty())
                          ? "the bearer token of user '" + user_name + "'"
                          : "anonymous";
    return c;
  } catch (const YAML::Exception& e) {
    return fail("unexpected structure: " + std::string(e.what()));
  }
}

Result<Credentials> load_kubeconfig(const std::string& path) {
  auto contents = read_file(path, kKubeconfigLimit);
  if (!contents)
    return Error{"kubeconfig " + path + ": " + contents.error(), contents.error_code()};
  return parse_kubeconfig(*contents, dir_of(path), path);
}

Result<Credentials> read_credential_files(const Credentials& credentials) {
  Credentials c = credentials;
  // Reads `file` (when set) into `into`, unless `into` already holds inline
  // data and `file_wins` is false; forgets the file name.
  auto load = [&c](std::string& file, std::string& into, bool file_wins, const char* setting,
                   size_t limit, const char* holds) -> std::optional<Error> {
    const std::string path = std::exchange(file, std::string());
    if (path.empty() || (!into.empty() && !file_wins)) return std::nullopt;
    auto contents = read_file(path, limit);
    if (!contents) {
      if (c.service_sandbox)
        if (auto place = hidden_from_service(path))
          return Error{"cannot use " + std::string(setting) + " of " + c.source + ": " +
                           hidden_from_service_message(setting, path, *place),
                       EACCES};
      return Error{"cannot use " + std::string(setting) + " of " + c.source + ": " +
                       contents.error() + " (it must name the file that holds " + holds + ")",
                   contents.error_code()};
    }
    if (contents->empty())
      return Error{"cannot use " + std::string(setting) + " of " + c.source + ": " + path +
                   " is empty (it must name the file that holds " + holds + ")"};
    into = std::move(*contents);
    return std::nullopt;
  };
  if (auto e = load(c.ca_file, c.ca_pem, false, "certificate-authority", kPemFileLimit,
                    "the cluster CA's certificate(s), PEM"))
    return *e;
  if (auto e = load(c.cert_file, c.cert_pem, false, "client-certificate", kPemFileLimit,
                    "the client certificate, PEM"))
    return *e;
  if (auto e = load(c.key_file, c.key_pem, false, "client-key", kPemFileLimit,
                    "the client certificate's private key, PEM"))
    return *e;
  const std::string token_file = c.token_file;
  if (auto e = load(c.token_file, c.token, true, "tokenFile", kTokenFileLimit, "a bearer token"))
    return *e;
  auto is_space = [](char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; };
  while (!c.token.empty() && is_space(c.token.back())) c.token.pop_back();
  while (!c.token.empty() && is_space(c.token.front())) c.token.erase(0, 1);
  // A token goes into a header line: a control character or space in it
  // would end or split that line.
  for (const char ch : c.token) {
    const auto u = static_cast<unsigned char>(ch);
    if (u <= 0x20 || u == 0x7f)
      return Error{"cannot use the bearer token of " + c.source +
                   (token_file.empty() ? std::string() : " (tokenFile " + token_file + ")") +
                   ": it contains spaces or control characters, which no bearer token has; check "
                   "that it is the token file the cluster issued"};
  }
  return c;
}

Result<Credentials> in_cluster_credentials(const std::string& sa_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host) return Error{"not running in a cluster: KUBERNETES_SERVICE_HOST is not set"};
  Credentials c;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6
  c.server = "https://" + h + ":" + (port && *port ? port : "443");
  c.ca_file = sa_dir + "/ca.crt";
  c.token_file = sa_dir + "/token";
  c.source = "in-cluster service account (" + sa_dir + ")";
  c.identity_hint = "the pod's service account";
  if (!exists(c.token_file)) return Error{"in-cluster token " + c.token_file + " does not exist"};
  return c;
}

std::vector<std::string> kubeconfig_candidates(const std::string& flag, const char* env) {
  std::vector<std::string> out;
  if (!flag.empty()) out.push_back(flag);
  if (env && *env) {
    // KUBECONFIG may list several files; the first is used (merging is not
    // supported).
    std::string first = env;
    first = first.substr(0, first.find(':'));
    if (!first.empty()) out.push_back(first);
  }
  out.push_back("/var/lib/kubelet/kubeconfig");   // AKS
  out.push_back("/etc/kubernetes/kubelet.conf");  // kubeadm
  return out;
}

Result<Credentials> resolve_credentials(const std::string& flag, bool service_sandbox) {
  const char* env = std::getenv("KUBECONFIG");
  const auto candidates = kubeconfig_candidates(flag, env);
  // An explicit choice (flag, then $KUBECONFIG) is the one to use, even if it
  // does not exist yet.
  const size_t explicit_count = (!flag.empty() ? 1 : 0) + (env && *env ? 1 : 0);
  for (size_t i = 0; i < candidates.size(); ++i) {
    const std::string& path = candidates[i];
    if (exists(path)) {
      auto loaded = load_kubeconfig(path);
      if (loaded) loaded->service_sandbox = service_sandbox;
      return loaded;
    }
    if (i < explicit_count && service_sandbox)
      if (auto place = hidden_from_service(path))
        // Not "not yet": no waiting makes it appear (EACCES, not ENOENT).
        return Error{hidden_from_service_message("kubeconfig", path, *place), EACCES};
    if (i < explicit_count)
      return Error{"kubeconfig " + path +
                       " does not exist yet (the kubelet may still be bootstrapping); waiting "
                       "for it",
                   ENOENT};
  }
  if (std::getenv("KUBERNETES_SERVICE_HOST")) return in_cluster_credentials();
  return Error{
      "no credentials: none of --kubeconfig, $KUBECONFIG, /var/lib/kubelet/kubeconfig, "
      "/etc/kubernetes/kubelet.conf exists and KUBERNETES_SERVICE_HOST is not set",
      ENOENT};
}

}  // namespace aim
