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
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rules/child/rule_stream.h"
#include "rules/netlink/chain_answer.h"
#include "rules/netlink/socket.h"
#include "rules/ruleset.h"
#include "util/result.h"

namespace aim::iptables_nft {

// One chain of an iptables table as the kernel describes it.
using ChainInfo = NftChainAnswer;

inline uint8_t nfproto(Family family) { return family == Family::V6 ? NFPROTO_IPV6 : NFPROTO_IPV4; }

inline std::string nul_terminated(std::string_view s) { return std::string(s) + '\0'; }

// The records of a big chain's rules, by what the kernel holds of each rule
// (its expressions and userdata, byte for byte), so that reading a chain of
// 10,000 rules again after one changed translates and prints only that one
// (kube-proxy inserts and deletes in KUBE-SERVICES at every sync). Exact: a
// rule's text is a function of those bytes, the family, the table, the
// chain (the cache is per chain of one table of one family's snapshot) and
// what libxtables has loaded (`epoch`, aim_nft_extension_epoch(): the cache
// is dropped when it moves). Handles are no key: a replaced rule keeps its
// handle. Rules shown natively are not kept (their record names their place).
struct ChainTextCache {
  unsigned long long epoch = 0;
  std::unordered_map<std::string, std::string> records;  // rule bytes -> its record
};
// Chains with fewer rules are rendered afresh (their cost is small, and a
// cache of every chain would hold the whole ruleset twice).
inline constexpr size_t kChainTextCacheFrom = 64;

// One table being read: its chain list and each chain's rules, rendered
// as rule records (rule_stream.h).
struct TableRead {
  std::string name;
  std::vector<ChainInfo> chains;
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
