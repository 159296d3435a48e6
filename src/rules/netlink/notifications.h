#pragma once
// The notifications nf_tables sends its listeners (NFNLGRP_NFTABLES) after
// each commit, parsed without trusting their lengths. Pure: the in-process
// nft reader follows them to read again only the chains a commit touched.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aim {

// One nf_tables change notification (NFNLGRP_NFTABLES): what changed and
// where. `table` is empty for NFT_MSG_NEWGEN, which ends each commit and
// carries its `generation`; `chain` is set for rule and chain changes.
struct NftNotification {
  uint16_t type;  // NFT_MSG_*
  uint8_t family;
  std::string table, chain;
  uint32_t generation = 0;    // NFT_MSG_NEWGEN only
  uint64_t chain_handle = 0;  // chain changes: the chain's handle (a rename keeps it)
  // Rule changes: the rule's handle (a replaced rule keeps it) and the
  // message's flags. NFT_MSG_NEWRULE also carries the whole rule, as it is
  // after the commit: its expressions and user data, and `position`, the
  // handle of the rule before it, which the kernel leaves out (0) for a rule
  // that is first or last in its chain; NLM_F_APPEND is set when the rule was
  // appended or replaced.
  uint64_t rule_handle = 0;
  uint16_t flags = 0;
  uint64_t position = 0;
  std::string expressions;
  std::optional<std::string> userdata;
};

// The notifications in one datagram read from the group. Pure; messages of
// other subsystems and malformed ones are skipped (a malformed one makes
// `malformed` true: the caller then trusts nothing it was told).
std::vector<NftNotification> parse_nft_notifications(std::string_view datagram, bool& malformed);

}  // namespace aim
