#include "service/host_route_repair.h"

#include "net/health_probe_routes.h"

namespace aim {

std::vector<LogLine> HostRouteRepair::ensure() const {
  std::vector<LogLine> logs;
  for (const HealthProbeRoute& route : health_probe_routes(ipv6_)) {
    const Status st = ensure_route(route);
    if (!st)
      logs.push_back(
          {0, LOG_WARNING, "cannot ensure the health probe reply route: " + st.error(), {}});
  }
  return logs;
}

}  // namespace aim
