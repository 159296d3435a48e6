#include "kube/url.h"

namespace aim {

std::string redact_url(std::string_view url) {
  size_t authority = 0;
  const size_t scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos &&
      url.substr(0, scheme_end).find_first_of("/?#@") == std::string_view::npos)
    authority = scheme_end + 3;
  std::string out(url.substr(0, authority));
  std::string_view rest = url.substr(authority);
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    out += "***@";
    rest = rest.substr(at + 1);
  }
  out += rest.substr(0, rest.find_first_of("?#"));
  return out;
}

std::string escape_path_segment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const bool only_dots = !segment.empty() && segment.size() <= 2 &&
                         segment.find_first_not_of('.') == std::string_view::npos;
  std::string out;
  out.reserve(segment.size());
  for (const char ch : segment) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '~' ||
                            (c == '.' && !only_dots);
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

}  // namespace aim
