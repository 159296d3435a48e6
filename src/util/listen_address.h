#pragma once
// --listen ADDRESS:PORT: an IPv4 address (127.0.0.1:9000) or a bracketed
// IPv6 one ([::1]:9000), numeric only (no names: a name would be resolved
// at start to whatever the resolver says then), port 1-65535. Pure.
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>
#include <string_view>

#include "util/result.h"

namespace aim {

struct ListenAddress {
  sockaddr_storage address{};  // sockaddr_in or sockaddr_in6, port set
  socklen_t length = 0;
  std::string text;  // as given, for messages
};

// The address, or what is wrong with `text` and how it should look
// ("'TEXT': why; give ADDRESS:PORT ...").
Result<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace aim
