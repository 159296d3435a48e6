#pragma once
// What an API answer means for the operator, in words. Pure.
#include <string>

namespace aim {

struct ApiCall {
  std::string verb;      // "patch"
  std::string resource;  // "ciliumnodes.cilium.io/node1"
  std::string server;
  std::string credentials_source;
  std::string identity;
};

// The "message" of a Kubernetes Status body, or the body itself (trimmed).
std::string status_message(const std::string& body);

// One sentence: what failed, why, and what to do. A 404 says only that: what
// is missing depends on the request (explain_missing_ciliumnode).
std::string describe_api_failure(const ApiCall& call, long status, const std::string& body);

// What a 404 on the node's CiliumNode says is missing, from its body alone.
// kube-apiserver names a missing object of a type it serves in the Status's
// details.name; for a type it does not serve (no CRD) it answers "404 page
// not found" as text, or a Status naming no object. A list or watch of a
// served type is never 404 (an empty list), so its 404 is always the type.
enum class MissingCiliumNode { Object, ResourceType };
MissingCiliumNode missing_ciliumnode_from_404(const std::string& body, const std::string& node);

// What a GET of the Node of the same name answered: 2xx, 404, or anything
// else (a 403 where the Node authorizer is off, a failure).
enum class NodeLookup { Exists, Missing, Unknown };
NodeLookup node_lookup_from_status(long status);

// The operator's words for a CiliumNode that is not there: a wrong NODE_NAME
// (no Node of that name either), a new node (the Node exists, cilium-agent
// has not created its CiliumNode yet), or no CiliumNode type in the cluster.
// `lookup_error` says why the Node could not be read (NodeLookup::Unknown).
std::string explain_missing_ciliumnode(MissingCiliumNode what, NodeLookup node,
                                       const std::string& node_name,
                                       const std::string& lookup_error = "");

}  // namespace aim
