#pragma once
// Reading JSON that came from elsewhere (API answers) without trusting it.
// jsoncpp throws on input nested past its stack limit and on operator[] into
// a value that is not an object: either would end the process. Parsing here
// catches, and member() never throws.
#include <json/json.h>

#include <string_view>

#include "util/result.h"

namespace aim {

// `text` as a JSON value nested at most `max_depth` deep; the error names
// `what`.
Result<Json::Value> parse_json(std::string_view text, std::string_view what, int max_depth = 64);

// v[key] when v is an object holding key, else a null value.
const Json::Value& member(const Json::Value& v, const char* key);

}  // namespace aim
