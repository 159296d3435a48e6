#pragma once
// Traffic through the namespace's loopback, for tests that must show that
// packets (which move the kernel's rule counters) are not rule changes. A
// UDP flood from this process: no ping binary needed, and as many packets
// as the machine sends in the time.
#include <chrono>
#include <string>

#include "rules/ruleset.h"

namespace aim::test {

// Brings `lo` up in the current namespace; an error message or empty.
std::string loopback_up();
// Sends UDP datagrams to 127.0.0.1 / ::1 port `port` for `duration`;
// returns how many were sent (-1: no socket).
long flood_udp(Family family, int port, std::chrono::milliseconds duration);
// The packet counter of the first rule of `iptables-legacy-save -c -t
// TABLE` whose text holds `part` (-1: no such rule).
long long legacy_rule_packets(Family family, const std::string& table, const std::string& part);

}  // namespace aim::test
