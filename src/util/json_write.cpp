#include "util/json_write.h"

#include <memory>
#include <string>

#include "util/utf8.h"

namespace aim {

namespace {

// Strings as Go's encoding/json writes them (and as the matcher reads rule
// text): bytes that are not UTF-8 become U+FFFD. jsoncpp would otherwise
// decode them loosely into other characters (9e 52 into U+0792), printing
// a rule that is neither the kernel's bytes nor what was matched.
Json::Value with_valid_utf8(const Json::Value& value) {
  switch (value.type()) {
    case Json::stringValue: {
      const char* begin = nullptr;
      const char* end = nullptr;
      value.getString(&begin, &end);
      std::string buffer;
      return Json::Value(std::string(as_go_text(std::string_view(begin, end - begin), buffer)));
    }
    case Json::arrayValue: {
      Json::Value out(Json::arrayValue);
      for (const Json::Value& v : value) out.append(with_valid_utf8(v));
      return out;
    }
    case Json::objectValue: {
      Json::Value out(Json::objectValue);
      for (const std::string& key : value.getMemberNames()) out[key] = with_valid_utf8(value[key]);
      return out;
    }
    default:
      return value;
  }
}

}  // namespace

void write_json(std::ostream& out, const Json::Value& value) {
  Json::StreamWriterBuilder builder;
  builder["indentation"] = "  ";
  // Non-ASCII is written as \\u escapes: rule text may hold bytes that are
  // not UTF-8 (a comment can carry anything), and the output must stay valid.
  builder["emitUTF8"] = false;
  std::unique_ptr<Json::StreamWriter> writer(builder.newStreamWriter());
  writer->write(with_valid_utf8(value), &out);
  out << '\n';
}

}  // namespace aim
