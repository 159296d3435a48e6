#include "util/listen_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace aim {
namespace {

Error bad(std::string_view text, const std::string& why) {
  return Error{"'" + std::string(text) + "': " + why +
                   "; give ADDRESS:PORT with a numeric address, e.g. 127.0.0.1:9871 or "
                   "[::1]:9871",
               EINVAL};
}

}  // namespace

Result<ListenAddress> parse_listen_address(std::string_view text) {
  if (text.empty()) return bad(text, "empty");
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad(text, "no port");
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port == 0 || port > 65535)
    return bad(text, "the port is not a number from 1 to 65535");

  ListenAddress out;
  out.text = std::string(text);
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad(text, "an unclosed '['");
    const std::string inner(host.substr(1, host.size() - 2));
    sockaddr_in6 a6{};
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, inner.c_str(), &a6.sin6_addr) != 1)
      return bad(text, "'" + inner + "' is not an IPv6 address");
    std::memcpy(&out.address, &a6, sizeof a6);
    out.length = sizeof a6;
    return out;
  }
  if (host.find(':') != std::string_view::npos)
    return bad(text, "an IPv6 address goes in brackets");
  if (host.empty()) return bad(text, "no address (0.0.0.0 listens on every address)");
  const std::string h(host);
  sockaddr_in a4{};
  a4.sin_family = AF_INET;
  a4.sin_port = htons(static_cast<uint16_t>(port));
  // inet_pton takes the dotted quad only (no "127.1", no octal).
  if (inet_pton(AF_INET, h.c_str(), &a4.sin_addr) != 1)
    return bad(text, "'" + h + "' is not an IPv4 address (names are not resolved)");
  std::memcpy(&out.address, &a4, sizeof a4);
  out.length = sizeof a4;
  return out;
}

}  // namespace aim
