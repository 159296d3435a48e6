#include "kube/node_name.h"

namespace aim {
namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// `text` safe to print on one line.
std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  constexpr size_t kShown = 100;
  std::string out;
  for (const char ch : text.substr(0, kShown)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  if (text.size() > kShown) out += "...";
  return out;
}

}  // namespace

bool is_valid_node_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (size_t start = 0;;) {
    const size_t dot = name.find('.', start);
    const std::string_view label =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || !lower_alnum(label.front()) || !lower_alnum(label.back())) return false;
    for (const char c : label)
      if (!lower_alnum(c) && c != '-') return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::string invalid_node_name_message(std::string_view name) {
  return "node name \"" + printable(name) + "\" (" + std::to_string(name.size()) +
         " characters) is not a valid Kubernetes node name: set --node-name or NODE_NAME to the "
         "node's name as `kubectl get nodes` shows it (at most 253 characters: lowercase letters, "
         "digits, '-' and '.', each dot-separated part starting and ending with a letter or "
         "digit, e.g. aks-nodepool1-12345678-vmss000000)";
}

}  // namespace aim
