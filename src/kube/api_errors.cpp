#include "kube/api_errors.h"

#include <json/json.h>

#include <sstream>

#include "kube/url.h"
#include "util/json_read.h"

namespace aim {

std::string status_message(const std::string& body) {
  // A Status is a flat object; anything nested deeper is not one.
  auto root = parse_json(body, "the answer", 16);
  if (root && member(*root, "message").isString()) return member(*root, "message").asString();
  std::string text = body;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  return text;
}

std::string describe_api_failure(const ApiCall& call, long status, const std::string& body) {
  const std::string what = call.verb + " " + call.resource + " on " + redact_url(call.server);
  const std::string said = status_message(body);
  const std::string detail = said.empty() ? "" : " (server said: " + said + ")";
  switch (status) {
    case 401:
      return what + ": 401 Unauthorized: the API server did not accept the credentials from " +
             call.credentials_source + detail +
             "; the certificate or token is invalid or expired (the kubelet rotates its "
             "certificate: check that the kubeconfig points at the current one)";
    case 403: {
      // A pod (the container image) has its DaemonSet's ServiceAccount; a
      // node's service has the kubelet's identity, which rbac.yaml grants.
      const bool pod = call.credentials_source.rfind("in-cluster", 0) == 0;
      return what + ": 403 Forbidden: " + call.identity + " may not " + call.verb + " " +
             call.resource + detail +
             (pod ? "; grant it with the RBAC in daemonset.yaml (its ClusterRole and Role, bound "
                    "to the pod's ServiceAccount)"
                  : "; grant it with the RBAC: kubectl apply -f "
                    "/usr/share/azure-iptables-monitor/kubernetes/rbac.yaml");
    }
    case 404:
      return what + ": 404 Not Found" + detail +
             "; the object does not exist yet (cilium-agent creates the CiliumNode when it starts "
             "on this node); will retry";
    case 409:
      return what + ": 409 Conflict" + detail;
    case 415:
      return what + ": 415 Unsupported Media Type" + detail +
             "; this is a bug in azure-iptables-monitor, please report it";
    case 422:
      return what + ": 422 Unprocessable Entity: the API server rejected the request body" + detail;
    case 429:
      return what + ": 429 Too Many Requests" + detail + "; the API server is throttling";
    default:
      break;
  }
  return what + ": HTTP " + std::to_string(status) + detail;
}

}  // namespace aim
