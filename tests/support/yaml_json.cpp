#include "yaml_json.h"

#include <yaml-cpp/yaml.h>

namespace aim::test {
namespace {

Json::Value convert(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      Json::Value v(Json::objectValue);
      for (const auto& kv : n) v[kv.first.as<std::string>()] = convert(kv.second);
      return v;
    }
    case YAML::NodeType::Sequence: {
      Json::Value v(Json::arrayValue);
      for (const auto& item : n) v.append(convert(item));
      return v;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = n.as<std::string>();
      if (n.Tag() == "!") return s;  // quoted in the YAML: a string
      if (s == "true") return true;
      if (s == "false") return false;
      char* end = nullptr;
      const long long i = std::strtoll(s.c_str(), &end, 10);
      if (!s.empty() && *end == '\0') return static_cast<Json::Int64>(i);
      return s;
    }
    default:
      return Json::Value();
  }
}

}  // namespace

std::vector<Json::Value> yaml_documents_as_json(const std::string& path) {
  std::vector<Json::Value> out;
  for (const YAML::Node& doc : YAML::LoadAllFromFile(path))
    if (doc && doc.IsMap()) out.push_back(convert(doc));
  return out;
}

}  // namespace aim::test
