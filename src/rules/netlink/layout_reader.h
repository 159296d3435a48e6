#pragma once
// Reads the KernelLayout of one family's iptables-nft tables over netlink
// (the table list, the chain list, then one rule dump per chain: a dump of
// the whole family makes the kernel re-walk from the start for every
// answer). Read them at one generation (netlink/generation.h).
#include <cstdint>

#include "rules/netlink/kernel_layout.h"
#include "rules/netlink/tables.h"
#include "rules/ruleset.h"
#include "util/result.h"

namespace aim {

Result<KernelLayout> read_kernel_layout(Family family);
// The shape of one native table: its sets, maps, stateful objects,
// flowtables and chains with their handles, and per rule its handle and the
// newlines its strings hold (counted as for iptables-nft rules: comments,
// interface names, log prefixes; any other string with a newline makes the
// text disagree, and the table unreadable).
Result<NativeTableShape> read_native_shape(const NftTable& table);
// The same for one chain of a table (its handle and rules only), for a
// listing of that chain (`nft list chain`).
Result<NativeTableShape> read_native_chain_shape(const NftTable& table, const std::string& chain);

}  // namespace aim
