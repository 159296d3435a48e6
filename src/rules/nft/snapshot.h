#pragma once
// The family's iptables-nft tables as they were at one ruleset generation,
// in the helper child (nft/helper.h): the chain list and one rule dump per
// chain (nft/render.h), then, while commits land, the chains their
// notifications name read again until a generation passes with no change,
// so that a read under a kube-proxy sync every second costs what changed.
// Kept between requests by the long-lived helper.
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
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
  // Since the last answer written: read whole (a fresh snapshot), or the
  // chains read again or found gone (table -> chains).
  bool fresh = true;
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> touched;
};

// What the helper last wrote, so that the next answer can be only what
// changed since (rule_stream.h: a delta answer).
struct SentAnswer {
  uint64_t number = 0;  // 0: none yet
  std::vector<std::string> tables;
  std::set<std::string, std::less<>> as_errors;  // tables written as an error record
};

// The family's snapshot, up to date: `kept` (from an earlier call, with the
// monitor listening since) brought up to date by what commits since touched,
// or a full read. EAGAIN: the ruleset kept changing through every attempt.
Result<FamilySnapshot*> up_to_date_snapshot(NftNetlink& netlink, NftChangeMonitor* monitor,
                                            Family family, std::optional<FamilySnapshot>& kept);

// Writes the snapshot record, then each table's records.
void write_snapshot(FamilySnapshot& snapshot, FILE* file);
// A served helper's answer (`helper`: its id): the answer record, then the
// snapshot's records: a delta against `base` when the parent holds exactly
// what `sent` says was last written (base == sent.number) and the snapshot
// was followed since, with the same tables; otherwise every table whole.
// A table that is or was an error record is written whole. Updates `sent`
// and starts the snapshot's record of changes afresh.
void write_answer(FamilySnapshot& snapshot, FILE* file, uint64_t helper, uint64_t base,
                  SentAnswer& sent);

}  // namespace aim::iptables_nft
