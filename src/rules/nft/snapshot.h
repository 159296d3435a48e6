#pragma once
// The family's iptables-nft tables as they were at one ruleset generation,
// in the helper child (nft/helper.h): the chain list and one rule dump per
// chain (nft/render.h), then, while commits land, the chains their
// notifications name read again until a generation passes with no change,
// so that a read under a kube-proxy sync every second costs what changed.
// Kept between requests by the long-lived helper.
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "rules/changes/sources.h"
#include "rules/netlink/socket.h"
#include "rules/nft/render.h"
#include "rules/ruleset.h"
#include "util/result.h"

namespace aim {

// The iptables tables nf_tables has for `family`, in check order.
Result<std::vector<std::string>> iptables_nft_tables(Family family);

}  // namespace aim

namespace aim::iptables_nft {

// The family's iptables tables as they were at one generation.
struct FamilySnapshot {
  uint32_t generation = 0;
  // The newest generation whose end (NEWGEN) was read from the monitor:
  // notifications read ahead are not waited for again.
  std::optional<uint32_t> newest_told;
  size_t repaired_chains = 0;  // read again after commits during the read
  std::vector<TableRead> tables;
};

// The family's snapshot, up to date: `kept` (from an earlier call, with the
// monitor listening since) brought up to date by what commits since touched,
// or a full read. EAGAIN: the ruleset kept changing through every attempt.
Result<FamilySnapshot*> up_to_date_snapshot(NftNetlink& netlink, NftChangeMonitor* monitor,
                                            Family family, std::optional<FamilySnapshot>& kept);

// Writes the snapshot record, then each table's records.
void write_snapshot(FamilySnapshot& snapshot, FILE* file);

}  // namespace aim::iptables_nft
