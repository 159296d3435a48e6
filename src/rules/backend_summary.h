#pragma once
// What an operator should know about which iptables backends a node uses:
// which have tables, and the markers kubelet and kube-proxy leave to say
// which iptables mode they chose. Pure.
#include <string>
#include <vector>

#include "rules/ruleset.h"

namespace aim {

// One line per set: "legacy ipv4: tables nat, filter" / "nft ipv6: no tables"
// plus "kube-proxy/kubelet markers (KUBE-IPTABLES-HINT, KUBE-KUBELET-CANARY) in
// nft ipv4 mangle" when present.
std::vector<std::string> describe_backends(const std::vector<RuleSet>& sets);

// True when the set has tables or failed to read (so it matters for output).
bool has_content(const RuleSet& set);

}  // namespace aim
