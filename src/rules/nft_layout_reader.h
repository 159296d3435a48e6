#pragma once
// Reads the KernelLayout of one family's iptables-nft tables over netlink
// (the table list, the chain list, then one rule dump per chain: a dump of
// the whole family makes the kernel re-walk from the start for every
// answer), and the ruleset generation, which changes with every commit.
#include <cstdint>

#include "rules/kernel_layout.h"
#include "rules/ruleset.h"
#include "util/result.h"

namespace aim {

Result<KernelLayout> read_kernel_layout(Family family);
Result<uint32_t> read_nft_generation();

}  // namespace aim
