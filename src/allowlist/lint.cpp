#include "allowlist/lint.h"

namespace aim {

std::optional<std::string> never_matching_reason(std::string_view pattern) {
  for (std::string_view proto : {"tcp", "udp", "sctp", "dccp"}) {
    for (std::string_view opt : {"--dport", "--sport", "--dports", "--sports"}) {
      const std::string written = "-p " + std::string(proto) + " " + std::string(opt);
      if (pattern.find(written) != std::string_view::npos)
        return "iptables -S always prints a match between the protocol and the port option "
               "(e.g. '-p " + std::string(proto) + " -m " + std::string(proto) + " --dport'), never '" +
               written + "': this pattern can never match";
    }
  }
  return std::nullopt;
}

}  // namespace aim
