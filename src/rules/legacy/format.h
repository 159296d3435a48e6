#pragma once
// Text of the generic (non-extension) part of a legacy rule, as `iptables -S`
// prints it: " -s ADDR/MASK -d ... -i IFACE -o IFACE -p PROTO -f". Pure: the
// legacy shim decodes the kernel entry into aim_rule_head, this formats it.
#include <string>

#include "rules/legacy/shim.h"

namespace aim {

// " -s 10.0.0.0/8" etc.; empty when the address is unset. Prefix when the
// mask is contiguous, dotted mask otherwise.
std::string format_ipv4_address(char letter, const uint8_t addr[4], const uint8_t mask[4],
                                bool invert);
std::string format_ipv6_address(char letter, const uint8_t addr[16], const uint8_t mask[16],
                                bool invert);
// " -i eth0", " ! -o veth+"; empty when no interface is set.
std::string format_interface(char letter, const char name[16], const uint8_t mask[16], bool invert);
// " -p tcp", " ! -p 47"; empty for protocol 0 (all). `name` is the resolved
// protocol name, empty when there is none (then the number is printed).
std::string format_protocol(uint16_t proto, const char* name, bool invert);

// Everything between "-A CHAIN" and the first " -m".
std::string format_rule_head(const aim_rule_head& head);

}  // namespace aim
