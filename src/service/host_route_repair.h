#pragma once
// --installRoutesForHealthProbeReply: the routes that send health-probe
// replies to lo (169.254.7.127/32, and with IPv6 its fd16:... twin) are
// ensured at every check, on the check thread, so one deleted by anyone is
// back by the next check. What failed comes back as log lines; the daemon
// says each once, when it starts.
#include <vector>

#include "reconcile/reconciler.h"

namespace aim {

class HostRouteRepair {
 public:
  explicit HostRouteRepair(bool ipv6) : ipv6_(ipv6) {}
  // Ensures every route; a line per route that could not be ensured.
  std::vector<LogLine> ensure() const;

 private:
  bool ipv6_;
};

}  // namespace aim
