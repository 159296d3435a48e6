#pragma once
// The proof that a rule's nft text is the whole rule: nft parses the text
// again (check mode: nothing is committed), and the expressions it would
// write must equal the kernel's, as libnftnl prints both in nft's netlink
// debug output (`nft --debug=netlink`), with anonymous sets replaced by
// their elements and counters by their name. nft 1.0.6 does not always
// print what it reads: it drops a protocol test it thinks implied, prints a
// compat (xt) match as nothing, turns a range into two comparisons. A rule
// whose text fails the proof makes its table unknown.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rules/child_start.h"
#include "rules/netlink/tables.h"
#include "util/result.h"

namespace aim {

// Pure: the rule blocks of a debug listing, normalised. `kernel`: a
// listing's (headers "FAMILY TABLE CHAIN HANDLE [POSITION]", anonymous sets
// as "FAMILY TABLE @NAME" blocks), keyed by handle; else a check run's
// (headers "FAMILY TABLE CHAIN", each rule's anonymous sets declared just
// before it), keyed by order (0, 1, ...). Text after the debug blocks (the
// listing itself) must start with '{' (JSON) and is ignored.
Result<std::map<uint64_t, std::string>> parse_debug_rules(std::string_view text,
                                                          const NftTable& table, bool kernel);

struct NativeRuleText {
  uint64_t handle = 0;
  std::string chain;
  std::string_view command;  // "add rule FAMILY TABLE CHAIN ..."
};

// Empty when nft rebuilds every rule of `rules` (all of `table`, all of
// `chain` when given) exactly from its text; else why not. `start`: how nft's
// child is started.
std::string verify_native_rules(ChildStart start, const NftTable& table, const std::string* chain,
                                const std::vector<NativeRuleText>& rules);

}  // namespace aim
