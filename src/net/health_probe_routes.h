#pragma once
// Upstream parity (--installRoutesForHealthProbeReply): local routes so that
// replies to the load balancer's health probes, sent from these addresses,
// are delivered through lo. Ensured every cycle with rtnetlink (replace is
// idempotent), so a deleted route comes back.
#include <string>
#include <vector>

#include "util/result.h"

namespace aim {

struct HealthProbeRoute {
  int family;        // AF_INET / AF_INET6
  std::string address;  // 169.254.7.127 / fd16:9254:7127:1337:ffff:ffff:ffff:ffff
};

std::vector<HealthProbeRoute> health_probe_routes(bool ipv6);

// Adds or replaces `route` as a host route to lo, proto static, scope link,
// in the main table.
Status ensure_route(const HealthProbeRoute& route);

}  // namespace aim
