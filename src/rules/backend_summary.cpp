#include "rules/backend_summary.h"

namespace aim {

bool has_content(const RuleSet& set) { return !set.tables.empty() || !set.error.empty(); }

std::vector<std::string> describe_backends(const std::vector<RuleSet>& sets) {
  std::vector<std::string> lines;
  for (const RuleSet& set : sets) {
    const std::string where = source_name(set.backend, set.family);
    if (!set.error.empty()) {
      lines.push_back(where + ": could not be read");
      continue;
    }
    if (set.tables.empty()) {
      lines.push_back(where + ": no tables");
      continue;
    }
    std::string line = where + ": tables";
    for (size_t i = 0; i < set.tables.size(); ++i) line += (i ? ", " : " ") + set.tables[i].name;
    lines.push_back(line);
    for (const Table& table : set.tables) {
      std::string markers;
      for (const Chain& chain : table.chains) {
        if (chain.name == "KUBE-IPTABLES-HINT" || chain.name == "KUBE-KUBELET-CANARY" ||
            chain.name == "KUBE-PROXY-CANARY")
          markers += (markers.empty() ? "" : ", ") + std::string(chain.name);
      }
      if (!markers.empty())
        lines.push_back("kubelet/kube-proxy markers (" + markers + ") in " + where + " table " +
                        table.name);
    }
  }
  return lines;
}

}  // namespace aim
