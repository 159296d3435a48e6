#pragma once
// Native nftables tables as lines an allowlist can match, in nft's own
// command syntax (the way `iptables -S` lines are iptables command syntax):
//
//   add table inet bar
//   add set inet bar blocklist { type ipv4_addr; flags interval; }
//   add chain inet bar input { type filter hook input priority filter; policy accept; }
//   add rule inet bar input tcp dport 22 drop
//
// built from libnftables' stateless, terse listing of one table (`nft -s -t
// -a list table FAMILY NAME`: no counters, no set elements, handles). Like
// iptables, nft prints strings (comments, interface names) raw inside quotes,
// newlines included, so the text alone cannot say where a rule ends: the
// kernel's description of the table over netlink (netlink/layout_reader.h) gives
// its objects and chains with their handles and per rule its handle and how
// many newlines its strings hold, and the text must agree with it exactly.
// Any disagreement makes the table unreadable (verdict unknown), never
// content. Pure.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/netlink/kernel_layout.h"
#include "rules/ruleset.h"

namespace aim {

// The table's lines from its text listing, held against `shape`. Lines are
// views into `text`, which the caller keeps alive (e.g. in the arena).
// On any disagreement the Table has an error and no chains.
// `listing`: a whole table's (`list table`, its handle on the first line)
// or one chain's (`list chain`: `shape` holds just that chain).
enum class NativeListing { Table, Chain };
Table parse_native_table(std::string_view text, const NativeTableShape& shape, TextArena& arena,
                         NativeListing listing = NativeListing::Table);

// Why a rule holding a compat expression cannot be shown natively.
std::string compat_rule_error(std::string_view chain, uint64_t handle);

// "inet bar": how a native table is named in reports, logs and allowlists.
std::string native_table_label(std::string_view family, std::string_view name);

}  // namespace aim
