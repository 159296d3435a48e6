#include "configmap.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace aim::test {

std::string configmap_to_directory(const std::string& yaml_path) {
  YAML::Node root = YAML::LoadFile(yaml_path);
  char tmpl[] = "/tmp/aim-configmap-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  const std::string dir = tmpl;
  for (const auto& entry : root["data"]) {
    const std::string key = entry.first.as<std::string>();
    const std::string value = entry.second.IsNull() ? "" : entry.second.as<std::string>();
    std::ofstream(dir + "/" + key, std::ios::binary) << value;
  }
  return dir;
}

std::string upstream_allowlist_path(const std::string& name) {
  return std::string(AIM_UPSTREAM_ALLOWLISTS) + "/" + name;
}

}  // namespace aim::test
