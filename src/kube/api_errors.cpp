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
      return what + ": 404 Not Found" + detail;
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

MissingCiliumNode missing_ciliumnode_from_404(const std::string& body, const std::string& node) {
  auto root = parse_json(body, "the answer", 16);
  if (!root || !root->isObject() || member(*root, "kind").asString() != "Status")
    return MissingCiliumNode::ResourceType;
  const Json::Value& name = member(member(*root, "details"), "name");
  return name.isString() && name.asString() == node ? MissingCiliumNode::Object
                                                    : MissingCiliumNode::ResourceType;
}

NodeLookup node_lookup_from_status(long status) {
  if (status >= 200 && status < 300) return NodeLookup::Exists;
  if (status == 404) return NodeLookup::Missing;
  return NodeLookup::Unknown;
}

std::string explain_missing_ciliumnode(MissingCiliumNode what, NodeLookup node,
                                       const std::string& node_name,
                                       const std::string& lookup_error) {
  if (what == MissingCiliumNode::ResourceType)
    return "the CiliumNode resource type (ciliumnodes.cilium.io/v2) is not installed in this "
           "cluster: Cilium is not installed yet (it brings the CRD); nothing can be labelled "
           "until it is";
  switch (node) {
    case NodeLookup::Missing:
      return "no Node named " + node_name +
             " either (check NODE_NAME: it must be this node's "
             "Kubernetes name, as kubectl get nodes lists it)";
    case NodeLookup::Exists:
      return "the Node " + node_name +
             " exists but its CiliumNode does not yet (cilium-agent "
             "creates it when it starts on this node); labelled once it appears";
    case NodeLookup::Unknown:
      break;
  }
  return "no CiliumNode named " + node_name + ": either cilium-agent has not created it yet or " +
         "NODE_NAME is not this node's Kubernetes name (the Node could not be read to tell " +
         "which" + (lookup_error.empty() ? "" : ": " + lookup_error) + ")";
}

}  // namespace aim
