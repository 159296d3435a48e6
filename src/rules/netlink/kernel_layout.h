#pragma once
// What the kernel says tables hold, to hold a text listing against: the
// iptables-nft tables of one family (for iptables-nft-save's text) and the
// shape of a native table (for nft's). iptables prints interface names, chain
// names and comments raw (newlines and quotes included), so the text alone
// cannot say where one rule ends; the kernel can. Pure data.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace aim {

struct KernelChain {
  // One entry per rule, in kernel order: how many newlines iptables prints
  // inside that rule's text (from its comment, interface names, log prefix).
  std::vector<uint32_t> rule_newlines;
};

struct KernelTable {
  std::map<std::string, KernelChain> chains;
  // Set when the table holds something its text cannot show unambiguously
  // (e.g. a chain name with a space or quote): then the table is unreadable.
  std::string unreadable;
};

struct KernelLayout {
  // Only the tables iptables shows (nat, mangle, filter, raw, security).
  std::map<std::string, KernelTable> tables;
};

// The shape of a native table as the kernel describes it, to hold nft's
// text listing against (native/listing.h).
struct NativeRuleShape {
  uint64_t handle = 0;
  uint32_t newlines = 0;  // '\n' in the rule's strings: its text spans newlines + 1 lines
  // It holds an xtables (compat) match or target, which nft prints lossily
  // (a comment match as nothing at all): its text is not the whole rule.
  bool compat = false;
};

// A named object of a table (any order): a chain (with its rules) or a set,
// map, flowtable, counter, quota, "ct helper", ...
struct NativeBlockShape {
  std::string kind;
  std::string name;
  uint64_t handle = 0;
  std::vector<NativeRuleShape> rules;  // chains only
};

struct NativeTableShape {
  std::string family;  // "ip", "ip6", "inet", "arp", "bridge", "netdev"
  std::string name;
  uint64_t handle = 0;
  std::vector<NativeBlockShape> blocks;
};

// True if `name` prints as one token that nothing else can be mistaken for:
// no whitespace, control bytes, quotes or backslashes.
bool unambiguous_chain_name(std::string_view name);

// True for the built-in chains of an iptables table (filter: INPUT, FORWARD,
// OUTPUT...). iptables-nft-save prints them, empty, even where iptables-nft
// has not created them in the kernel yet.
bool builtin_chain(std::string_view table, std::string_view chain);

}  // namespace aim
