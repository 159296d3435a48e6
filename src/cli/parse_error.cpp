#include "cli/parse_error.h"

#include <algorithm>
#include <vector>

namespace aim {
namespace {

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

std::string parse_error_message(const CLI::ParseError& e, const CLI::App& app) {
  std::string message = e.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&e) == nullptr) return message;
  const size_t colon = message.find(": ");
  if (colon == std::string::npos) return message;
  // The words as parsed (the app's and its commands', in order). Rewritten
  // only when the message lists exactly these last-first, so a CLI11 that
  // lists them in order is left alone.
  std::vector<std::string> words = app.remaining(true);
  const std::string in_order = join(words);
  std::reverse(words.begin(), words.end());
  if (message.compare(colon + 2, std::string::npos, join(words)) == 0)
    message = message.substr(0, colon + 2) + in_order;
  return message;
}

}  // namespace aim
