#pragma once
// Kubernetes manifests (YAML, possibly several documents) as JSON values, to
// POST them to a real API server in tests.
#include <json/json.h>

#include <string>
#include <vector>

namespace aim::test {

std::vector<Json::Value> yaml_documents_as_json(const std::string& path);

}  // namespace aim::test
