#pragma once
// Where the API server is and how to prove who we are: from a kubeconfig
// (YAML), or in-cluster service-account files. Parsing is pure; loading
// reads files.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace aim {

struct Credentials {
  std::string server;               // https://host:port
  std::string ca_file;              // PEM file, or empty
  std::string ca_pem;               // PEM text (certificate-authority-data), or empty
  std::string cert_file, key_file;  // client certificate and key files
  std::string cert_pem, key_pem;    // ... or their PEM text
  std::string token;                // bearer token text
  std::string token_file;           // ... or a file holding it (re-read on use)
  std::string tls_server_name;      // SNI / name to verify instead of the server's host
  bool insecure_skip_tls_verify = false;
  std::string source;  // where these came from, for messages ("/var/lib/kubelet/kubeconfig")
  // Who we are, as far as can be told without asking: the client
  // certificate's subject or "bearer token", for 403 messages.
  std::string identity_hint;
  // Resolved for the service, whose unit hides some places (sandbox_paths.h):
  // a credential file missing there is said to be hidden, with the fix.
  bool service_sandbox = false;
};

// Caps on what is read from the files credentials name: far above what such
// a file holds, so a wrong path (a device, /proc) is an error, not a hang or
// an exhausted memory.
inline constexpr size_t kKubeconfigLimit = 1024 * 1024;
inline constexpr size_t kPemFileLimit = 1024 * 1024;  // CA bundle, client certificate, key
inline constexpr size_t kTokenFileLimit = 64 * 1024;

// Parses kubeconfig YAML. Relative file paths resolve against `base_dir`
// (the kubeconfig's folder). The current context selects cluster and user;
// exec and auth-provider users are refused with a clear message.
Result<Credentials> parse_kubeconfig(const std::string& yaml, const std::string& base_dir,
                                     const std::string& source);
Result<Credentials> load_kubeconfig(const std::string& path);

// `credentials` with the files they name read into the PEM and token fields
// (the files are read as hostile input: regular files only, capped), so that
// nothing is opened later by libcurl. The result names no files. Inline data
// takes precedence over a CA, certificate or key file; a token file over an
// inline token (it is the one that rotates). Errors name the setting, the
// file, what is wrong and what to do.
Result<Credentials> read_credential_files(const Credentials& credentials);

// In-cluster: KUBERNETES_SERVICE_HOST/PORT and the service account's token
// and CA under `sa_dir` (/var/run/secrets/kubernetes.io/serviceaccount).
Result<Credentials> in_cluster_credentials(
    const std::string& sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// The kubeconfig candidates in order: --kubeconfig, $KUBECONFIG, the
// kubelet's (AKS, kubeadm). Empty entries are skipped.
std::vector<std::string> kubeconfig_candidates(const std::string& flag, const char* env_kubeconfig);

// Finds credentials: the first candidate that exists; else in-cluster when
// KUBERNETES_SERVICE_HOST is set. When the flag or $KUBECONFIG names a file
// that does not exist yet, that is an error saying it is awaited (the
// kubelet may still be bootstrapping), not a fall-through; `service_sandbox`
// (the service) says instead that the unit hides it when it lies where the
// unit hides files (sandbox_paths.h).
Result<Credentials> resolve_credentials(const std::string& flag, bool service_sandbox = false);

std::string base64_decode(const std::string& text, bool* ok);

}  // namespace aim
