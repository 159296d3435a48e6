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

}  // namespace aim
