// The rendering children's framing, and the nf_tables notifications the nft
// reader follows: whatever bytes arrive, no crash; no table is complete
// unless it was ended properly; an answer or snapshot record is taken whole
// or not at all; a delta answer spliced into a kept set gives exactly the
// kept tables, each with the chain count the delta says, or is refused; a
// notification the parser keeps names what it must.
#include <linux/netfilter/nf_tables.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rules/child/rule_delta.h"
#include "rules/child/rule_stream.h"
#include "rules/netlink/notifications.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::string_view stream = input;
  const auto answer = aim::take_answer_record(stream);
  if (!answer && stream.size() != input.size()) __builtin_trap();
  if (answer && (answer->helper == 0 || answer->base >= answer->answer)) __builtin_trap();
  const std::string after_answer(stream);
  const auto snapshot = aim::take_snapshot_record(stream);
  if (!snapshot && stream.size() != after_answer.size()) __builtin_trap();
  if (snapshot && (stream.size() >= after_answer.size() || after_answer[0] != 'S'))
    __builtin_trap();
  aim::RuleSet set =
      aim::parse_rule_stream(std::string(stream), aim::Family::V4, aim::Backend::Nft,
                             snapshot ? snapshot->tables : std::vector<std::string>{"nat"}, "");
  for (const auto& t : set.tables)
    if (!t.read_ok() && !t.chains.empty()) __builtin_trap();  // never partial content

  // The same bytes as a delta against a kept set (nat: PREROUTING, A, B).
  static const std::string kept_text =
      std::string("Tnat\0CPREROUTING\0H-P PREROUTING ACCEPT\0", 39) +
      std::string("CA\0H-N A\0R-A A -j RETURN\0CB\0H-N B\0D\0", 36);
  aim::RuleSet kept =
      aim::parse_rule_stream(kept_text, aim::Family::V4, aim::Backend::Nft, {"nat", "filter"}, "");
  if (kept.tables.size() != 2 || !kept.tables[0].read_ok()) __builtin_trap();
  auto owned = std::make_shared<const std::string>(stream);
  auto changes = aim::parse_rule_changes(*owned, owned, aim::Family::V4, aim::Backend::Nft);
  if (changes) {
    std::vector<size_t> counts;
    for (const auto& t : changes->changed) counts.push_back(t.chain_count);
    std::vector<std::string> changed_names;
    for (const auto& t : changes->changed) changed_names.push_back(t.name);
    auto spliced = aim::apply_rule_changes(kept, std::move(*changes), {"nat", "filter"});
    if (spliced) {
      if (spliced->tables.size() != 2 || spliced->tables[0].name != "nat" ||
          spliced->tables[1].name != "filter")
        __builtin_trap();
      for (size_t i = 0; i < changed_names.size(); ++i)
        if (spliced->find_table(changed_names[i])->chains.size() != counts[i]) __builtin_trap();
      for (const auto& t : spliced->tables)
        if (!t.read_ok() && !t.chains.empty()) __builtin_trap();
    }
  }

  bool malformed = false;
  for (const aim::NftNotification& n : aim::parse_nft_notifications(input, malformed)) {
    const bool rule_or_chain = n.type == NFT_MSG_NEWRULE || n.type == NFT_MSG_DELRULE ||
                               n.type == NFT_MSG_NEWCHAIN || n.type == NFT_MSG_DELCHAIN;
    // What lacks its names is reported malformed, so the reader trusts none of it.
    if (!malformed && rule_or_chain && (n.table.empty() || n.chain.empty())) __builtin_trap();
    // A rule change without its handle cannot be followed: reported malformed.
    const bool rule = n.type == NFT_MSG_NEWRULE || n.type == NFT_MSG_DELRULE;
    if (!malformed && rule && n.rule_handle == 0) __builtin_trap();
  }
  return 0;
}
