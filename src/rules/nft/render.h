#pragma once
// iptables-nft's chains rendered as the lines `iptables-nft -t TABLE -S
// CHAIN` prints, in the helper child (nft/helper.h): each rule of a chain's
// netlink dump translated back (nft/translate.h) and printed with
// libxtables' save() functions (nft/shim.h), then a table's chains in the
// order and with the headers iptables-nft shows them. What iptables text
// cannot show whole is named for the native reader instead.
#include <linux/netfilter.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rules/child/rule_stream.h"
#include "rules/netlink/chain_answer.h"
#include "rules/netlink/notifications.h"
#include "rules/netlink/socket.h"
#include "rules/ruleset.h"
#include "util/result.h"

namespace aim::iptables_nft {

// One chain of an iptables table as the kernel describes it.
using ChainInfo = NftChainAnswer;

inline uint8_t nfproto(Family family) { return family == Family::V6 ? NFPROTO_IPV6 : NFPROTO_IPV4; }

inline std::string nul_terminated(std::string_view s) { return std::string(s) + '\0'; }

// One rule of a big chain as last printed: its handle, what the kernel
// holds of it (its expressions and userdata, byte for byte: `key`; empty
// when not kept) and its record (rule_stream.h).
struct KeptRule {
  uint64_t handle = 0;
  std::string key;
  std::string record;
};
// A big chain's rules as last printed, in order, so that
//  - reading the chain again prints afresh only rules whose bytes were not
//    printed before (kube-proxy inserts and deletes in KUBE-SERVICES, 10,000
//    rules at 10,000 services, at every sync), and
//  - a commit's rule notifications, which carry each new rule whole and its
//    place, are followed without reading the chain again
//    (apply_rule_changes).
// Exact: a rule's text is a function of its bytes, the family, the table,
// the chain (the cache is per chain of one table of one family's snapshot)
// and what libxtables has loaded (`epoch`, aim_nft_extension_epoch(): the
// cache is not used once it moves). Handles are no key: a replaced rule
// keeps its handle. Kept only for chains every rule of which iptables text
// shows (a native rule's record names its place among the chain's rules).
struct ChainTextCache {
  unsigned long long epoch = 0;
  std::vector<KeptRule> rules;
};
// Chains with fewer rules are rendered afresh (their cost is small, and a
// cache of every chain would hold the whole ruleset twice).
inline constexpr size_t kChainTextCacheFrom = 64;

// One chain as iptables-nft -S shows it.
struct ShownChain {
  std::string name;
  std::string header;
  bool in_kernel;
};
// A table's chains in the order iptables-nft shows them (base chains by
// hook, built-in ones the kernel lacks shown empty, then the others by
// name), or why iptables text cannot show the table as it is.
struct ShownLayout {
  std::string problem;
  std::vector<ShownChain> chains;
  size_t users_from = 0;  // chains[users_from...]: the user chains, by name
};

// One table being read: its chain list and each chain's rules, rendered
// as rule records (rule_stream.h).
struct TableRead {
  std::string name;
  std::vector<ChainInfo> chains;
  // Made from `chains` when first written; whoever changes `chains` resets
  // it or, for one chain, tells layout_chain_changed().
  mutable std::shared_ptr<ShownLayout> layout;
  std::set<std::string, std::less<>> chain_names;  // of `chains`
  std::map<std::string, std::string, std::less<>> rule_records;
  std::map<std::string, ChainTextCache, std::less<>> text_caches;  // big chains only
  std::string problem;  // set: the table is shown as this error record
};

// Renders one chain's rules into `table.rule_records`. A rule whose
// iptables text would not be the whole rule (the translator or the printer
// refuses it) becomes a native rule record, for the native reader to show
// in nft syntax. An error (EAGAIN: the chain changed during the dump;
// ENOENT: it is gone) leaves the chain to be read again.
Status render_chain(NftNetlink& netlink, Family family, TableRead& table, const std::string& chain);

// `chain` of `table` was read again: `now` as it is, or null when it is
// gone. Keeps the table's layout (a user chain put in or taken out at its
// place by name) or, for anything else, drops it to be made again.
void layout_chain_changed(TableRead& table, const std::string& chain, const ChainInfo* now);

// One commit's notifications for one rule of a chain (NFT_MSG_NEWRULE or
// NFT_MSG_DELRULE), in the commit's order.
struct RuleChange {
  const NftNotification* told;
  // A deletion of a rule of the same chain follows in the same commit.
  bool deletion_follows = false;
};
// Follows one commit's rule changes of `chain` in its kept rules (its
// ChainTextCache) and renders the chain's records from them: a new rule is
// printed from the notification's bytes and put where the kernel says it is
// (after the rule `position` names; first or last when there is none), a
// deleted one taken out by its handle. False when the changes cannot be
// followed exactly (no kept rules or a moved epoch, a handle or place not
// found, a rule iptables text does not show, a place the notification leaves
// unclear): the caller reads the chain again. What was applied before then
// stays correct as a cache of texts.
bool apply_rule_changes(Family family, TableRead& table, const std::string& chain,
                        const std::vector<RuleChange>& changes);

// Where render_chain's time goes, summed over the calls since the clock was
// started (bench/nft_check_split.cpp prints it). Off unless started: the
// product never pays for the clock reads.
struct RenderClock {
  double netlink = 0;    // the rule dumps: requests, answers, attribute walks
  double translate = 0;  // translate_nft_rule, its exactness proof included
  double render = 0;     // printing the text with libxtables' save() functions
  size_t rules = 0;
};
void start_render_clock();
RenderClock render_clock();

// Writes one table's records; the chain order is iptables-nft's. False:
// iptables text cannot show the table as it is (an error record).
bool write_table(const TableRead& table, RuleStreamWriter& out, FILE* file);
// Writes only the `changed` chains of a table (a U table: each at its
// place, or removed), when it can be shown; otherwise the whole table, as
// write_table (and its answer).
bool write_table_changes(const TableRead& table, const std::set<std::string, std::less<>>& changed,
                         RuleStreamWriter& out, FILE* file);

}  // namespace aim::iptables_nft
