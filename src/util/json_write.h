#pragma once
// One way to print JSON for people and programs alike: indented, valid UTF-8.
#include <json/json.h>

#include <ostream>

namespace aim {

void write_json(std::ostream& out, const Json::Value& value);

}  // namespace aim
