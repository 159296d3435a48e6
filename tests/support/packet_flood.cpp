#include "packet_flood.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

#include "netns.h"
#include "util/fd.h"

namespace aim::test {

std::string loopback_up() {
  const CommandResult r = run("ip link set lo up 2>&1");
  return r.status == 0 ? "" : "ip link set lo up failed: " + r.out;
}

long flood_udp(Family family, int port, std::chrono::milliseconds duration) {
  const bool v6 = family == Family::V6;
  UniqueFd fd(socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return -1;
  sockaddr_in a4{};
  sockaddr_in6 a6{};
  a4.sin_family = AF_INET;
  a4.sin_port = htons(static_cast<uint16_t>(port));
  a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a6.sin6_family = AF_INET6;
  a6.sin6_port = htons(static_cast<uint16_t>(port));
  a6.sin6_addr = in6addr_loopback;
  const sockaddr* to =
      v6 ? reinterpret_cast<const sockaddr*>(&a6) : reinterpret_cast<const sockaddr*>(&a4);
  const socklen_t len = v6 ? sizeof a6 : sizeof a4;
  const char payload[64] = "flood";
  long sent = 0;
  const auto until = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < until)
    for (int i = 0; i < 256; ++i)
      if (sendto(fd.get(), payload, sizeof payload, 0, to, len) > 0) ++sent;
  return sent;
}

long long legacy_rule_packets(Family family, const std::string& table, const std::string& part) {
  const std::string save = family == Family::V6 ? "ip6tables-legacy-save" : "iptables-legacy-save";
  std::istringstream lines(run(save + " -c -t " + table).out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("[", 0) != 0 || line.find(part) == std::string::npos) continue;
    long long packets = -1, bytes = -1;
    if (std::sscanf(line.c_str(), "[%lld:%lld]", &packets, &bytes) == 2) return packets;
  }
  return -1;
}

}  // namespace aim::test
