#include "net/health_probe_routes.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/fd.h"

namespace aim {

std::vector<HealthProbeRoute> health_probe_routes(bool ipv6) {
  std::vector<HealthProbeRoute> routes{{AF_INET, "169.254.7.127"}};
  if (ipv6) routes.push_back({AF_INET6, "fd16:9254:7127:1337:ffff:ffff:ffff:ffff"});
  return routes;
}

namespace {

void add_attr(nlmsghdr* msg, size_t capacity, uint16_t type, const void* data, size_t len) {
  const size_t at = NLMSG_ALIGN(msg->nlmsg_len);
  auto* attr = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(msg) + at);
  if (at + RTA_SPACE(len) > capacity) return;
  attr->rta_type = type;
  attr->rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
  std::memcpy(RTA_DATA(attr), data, len);
  msg->nlmsg_len = static_cast<uint32_t>(at + RTA_SPACE(len));
}

}  // namespace

Status ensure_route(const HealthProbeRoute& route) {
  const std::string what = "route " + route.address + " dev lo";
  unsigned char address[16] = {};
  if (inet_pton(route.family, route.address.c_str(), address) != 1)
    return Error{what + ": not an address"};
  const unsigned lo = if_nametoindex("lo");
  if (lo == 0) return Error{what + ": no loopback interface"};

  UniqueFd sock(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!sock.valid()) return Error{what + ": netlink socket: " + std::strerror(errno), errno};

  alignas(nlmsghdr) char buffer[256] = {};
  auto* msg = reinterpret_cast<nlmsghdr*>(buffer);
  msg->nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  msg->nlmsg_type = RTM_NEWROUTE;
  msg->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
  msg->nlmsg_seq = 1;
  auto* rt = static_cast<rtmsg*>(NLMSG_DATA(msg));
  rt->rtm_family = static_cast<unsigned char>(route.family);
  rt->rtm_dst_len = route.family == AF_INET6 ? 128 : 32;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_STATIC;
  rt->rtm_scope = RT_SCOPE_LINK;
  rt->rtm_type = RTN_UNICAST;
  add_attr(msg, sizeof buffer, RTA_DST, address, route.family == AF_INET6 ? 16 : 4);
  const uint32_t oif = lo;
  add_attr(msg, sizeof buffer, RTA_OIF, &oif, sizeof oif);

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(sock.get(), msg, msg->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof kernel) < 0)
    return Error{what + ": sendto: " + std::strerror(errno), errno};
  char reply[1024];
  const ssize_t n = recv(sock.get(), reply, sizeof reply, 0);
  if (n < 0) return Error{what + ": recv: " + std::strerror(errno), errno};
  const auto* answer = reinterpret_cast<const nlmsghdr*>(reply);
  if (answer->nlmsg_type == NLMSG_ERROR) {
    const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(answer));
    if (err->error != 0)
      return Error{what + ": the kernel refused it: " + std::strerror(-err->error), -err->error};
  }
  return Ok{};
}

}  // namespace aim
