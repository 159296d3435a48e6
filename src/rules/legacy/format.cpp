#include "rules/legacy/format.h"

#include <arpa/inet.h>

#include <array>
#include <bit>
#include <cstring>

namespace aim {
namespace {

// Prefix length of a contiguous mask, or -1.
int prefix_length(const uint8_t* mask, size_t bytes) {
  int bits = 0;
  size_t i = 0;
  for (; i < bytes && mask[i] == 0xff; ++i) bits += 8;
  if (i == bytes) return bits;
  const int ones = std::countl_one(mask[i]);
  if (static_cast<uint8_t>(mask[i] << ones) != 0) return -1;  // hole inside the byte
  bits += ones;
  for (++i; i < bytes; ++i)
    if (mask[i] != 0) return -1;
  return bits;
}

std::string ntop(int af, const void* addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(af, addr, buf, sizeof buf);
  return buf;
}

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i]) return false;
  return true;
}

std::string negation(bool invert) { return invert ? " !" : ""; }

}  // namespace

std::string format_ipv4_address(char letter, const uint8_t addr[4], const uint8_t mask[4],
                                bool invert) {
  if (!invert && all_zero(addr, 4) && all_zero(mask, 4)) return {};
  const int prefix = prefix_length(mask, 4);
  std::string out = negation(invert) + " -" + letter + " " + ntop(AF_INET, addr) + "/";
  out += prefix >= 0 ? std::to_string(prefix) : ntop(AF_INET, mask);
  return out;
}

std::string format_ipv6_address(char letter, const uint8_t addr[16], const uint8_t mask[16],
                                bool invert) {
  const int prefix = prefix_length(mask, 16);
  if (!invert && prefix == 0) return {};
  std::string out = negation(invert) + " -" + letter + " " + ntop(AF_INET6, addr) + "/";
  out += prefix >= 0 ? std::to_string(prefix) : ntop(AF_INET6, mask);
  return out;
}

std::string format_interface(char letter, const char name[16], const uint8_t mask[16],
                             bool invert) {
  if (mask[0] == 0) return {};
  std::string out = negation(invert) + " -" + letter + " ";
  // The mask covers the bytes that must match: the name plus its NUL when
  // exact, the name without a NUL for a "+" wildcard.
  for (size_t i = 0; i < 16; ++i) {
    if (mask[i] == 0) {
      if (name[i - 1] != '\0') out += '+';
      break;
    }
    if (name[i] != '\0') out += name[i];
  }
  return out;
}

std::string format_protocol(uint16_t proto, const char* name, bool invert) {
  if (proto == 0) return {};
  return negation(invert) + " -p " + (name && name[0] ? std::string(name) : std::to_string(proto));
}

std::string format_rule_head(const aim_rule_head& head) {
  std::string out;
  if (head.family == 6) {
    out += format_ipv6_address('s', head.src, head.src_mask, head.inv_src);
    out += format_ipv6_address('d', head.dst, head.dst_mask, head.inv_dst);
  } else {
    out += format_ipv4_address('s', head.src, head.src_mask, head.inv_src);
    out += format_ipv4_address('d', head.dst, head.dst_mask, head.inv_dst);
  }
  out += format_interface('i', head.in_iface, head.in_iface_mask, head.inv_in);
  out += format_interface('o', head.out_iface, head.out_iface_mask, head.inv_out);
  out += format_protocol(head.proto, head.proto_name, head.inv_proto);
  if (head.family != 6 && head.frag) out += negation(head.inv_frag) + " -f";
  // ip6tables prints this legacy flag with a placeholder option name.
  if (head.family == 6 && head.has_tos)
    out += negation(head.inv_tos) + " -? " + std::to_string(head.tos);
  return out;
}

}  // namespace aim
