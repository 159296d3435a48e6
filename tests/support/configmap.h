#pragma once
// Turns a Kubernetes ConfigMap (YAML) into an allowlist directory the way a
// ConfigMap volume mount does: one file per data key, contents verbatim.
#include <string>

namespace aim::test {

// Writes every data key of the ConfigMap at `yaml_path` as a file in a new
// temporary directory and returns that directory (removed by the caller).
std::string configmap_to_directory(const std::string& yaml_path);

std::string upstream_allowlist_path(const std::string& name);

}  // namespace aim::test
