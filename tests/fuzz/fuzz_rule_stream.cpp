// The rendering children's framing, and the nf_tables notifications the nft
// reader follows: whatever bytes arrive, no crash; no table is complete
// unless it was ended properly; a snapshot record is taken whole or not at
// all; a notification the parser keeps names what it must.
#include <linux/netfilter/nf_tables.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "rules/child/rule_stream.h"
#include "rules/netlink/notifications.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string_view stream = input;
  const auto snapshot = aim::take_snapshot_record(stream);
  if (!snapshot && stream.size() != input.size()) __builtin_trap();
  if (snapshot && (stream.size() >= input.size() || input[0] != 'S')) __builtin_trap();
  aim::RuleSet set =
      aim::parse_rule_stream(std::string(stream), aim::Family::V4, aim::Backend::Nft,
                             snapshot ? snapshot->tables : std::vector<std::string>{"nat"}, "");
  for (const auto& t : set.tables)
    if (!t.read_ok() && !t.chains.empty()) __builtin_trap();  // never partial content

  bool malformed = false;
  for (const aim::NftNotification& n : aim::parse_nft_notifications(input, malformed)) {
    const bool rule_or_chain = n.type == NFT_MSG_NEWRULE || n.type == NFT_MSG_DELRULE ||
                               n.type == NFT_MSG_NEWCHAIN || n.type == NFT_MSG_DELCHAIN;
    // What lacks its names is reported malformed, so the reader trusts none of it.
    if (!malformed && rule_or_chain && (n.table.empty() || n.chain.empty())) __builtin_trap();
  }
  return 0;
}
