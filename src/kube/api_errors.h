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

// One sentence: what failed, why, and what to do.
std::string describe_api_failure(const ApiCall& call, long status, const std::string& body);

}  // namespace aim
