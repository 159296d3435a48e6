#include "util/json_read.h"

#include <cstring>
#include <memory>
#include <string>

namespace aim {

Result<Json::Value> parse_json(std::string_view text, std::string_view what, int max_depth) {
  Json::CharReaderBuilder builder;
  builder["collectComments"] = false;
  builder["stackLimit"] = max_depth;
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  Json::Value root;
  std::string errors;
  bool parsed = false;
  try {
    parsed = reader->parse(text.data(), text.data() + text.size(), &root, &errors);
  } catch (const std::exception& e) {  // past the stack limit
    errors = e.what();
  }
  if (!parsed)
    return Error{std::string(what) + " is not JSON (" + errors.substr(0, errors.find('\n')) + ")"};
  return root;
}

const Json::Value& member(const Json::Value& v, const char* key) {
  static const Json::Value kNull;
  if (!v.isObject()) return kNull;
  const Json::Value* found = v.find(key, key + std::strlen(key));
  return found ? *found : kNull;
}

}  // namespace aim
