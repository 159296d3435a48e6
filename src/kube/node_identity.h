#pragma once
// Which node this host is, when nobody said: the kubelet's own identity. The
// kubelet authenticates with a client certificate whose subject CN is
// "system:node:NAME" (the Node authorizer's convention), so the node name a
// host would otherwise have to be told (NODE_NAME, a per-node edit) is in the
// credentials the service already uses.
#include <string>
#include <string_view>

#include "kube/kubeconfig.h"
#include "util/result.h"

namespace aim {

inline constexpr std::string_view kNodeUserPrefix = "system:node:";

// The node a PEM client certificate names: the CN of the first certificate in
// `pem` (a kubelet's kubelet-client-current.pem holds the key too), which must
// be "system:node:NAME" with NAME a valid node name. Pure (OpenSSL parses; no
// files). Errors say what the certificate is instead and what to do.
Result<std::string> node_name_from_certificate(std::string_view pem, const std::string& source);

// Why the node name could not be found, which decides what the caller does.
enum class NodeIdentityFailure {
  // No credentials at all on this host (no kubeconfig where the kubelet
  // keeps one, none named, not in a cluster): not a configured node.
  NoCredentials,
  // Credentials that may appear or change (a named kubeconfig or its
  // certificate file not there yet: the kubelet may be bootstrapping).
  NotYet,
  // Credentials that will not name a node without a change of configuration
  // (a token, a certificate of another kind of user, a file the unit's
  // sandbox hides): NODE_NAME must be set, or the configuration fixed.
  NotANode,
};

struct NodeIdentity {
  std::string name;
  std::string origin;  // "the client certificate of /var/lib/kubelet/kubeconfig"
};

// The node name from the client certificate of the credentials
// resolve_credentials(kubeconfig_flag) finds (its certificate file or inline
// data). The error's code is a NodeIdentityFailure.
Result<NodeIdentity> node_identity_from_credentials(const std::string& kubeconfig_flag,
                                                    bool service_sandbox = false);

}  // namespace aim
