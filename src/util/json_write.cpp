#include "util/json_write.h"

#include <memory>

namespace aim {

void write_json(std::ostream& out, const Json::Value& value) {
  Json::StreamWriterBuilder builder;
  builder["indentation"] = "  ";
  // Non-ASCII is written as \\u escapes: rule text may hold bytes that are
  // not UTF-8 (a comment can carry anything), and the output must stay valid.
  builder["emitUTF8"] = false;
  std::unique_ptr<Json::StreamWriter> writer(builder.newStreamWriter());
  writer->write(value, &out);
  out << '\n';
}

}  // namespace aim
