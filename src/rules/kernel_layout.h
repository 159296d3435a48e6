#pragma once
// What the kernel says the iptables-nft tables of one family hold, to hold
// iptables-nft-save's text against. iptables prints interface names, chain
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

// True if `name` prints as one token that nothing else can be mistaken for:
// no whitespace, control bytes, quotes or backslashes.
bool unambiguous_chain_name(std::string_view name);

// True for the built-in chains of an iptables table (filter: INPUT, FORWARD,
// OUTPUT...). iptables-nft-save prints them, empty, even where iptables-nft
// has not created them in the kernel yet.
bool builtin_chain(std::string_view table, std::string_view chain);

}  // namespace aim
