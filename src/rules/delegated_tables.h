#pragma once
// What the nft reader hands to the native reader: the iptables-nft tables
// and rules iptables text cannot show whole (nft/reader.h, native/reader.h).
// The model's level, so that neither reader includes the other.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "rules/ruleset.h"

namespace aim {

// Tables iptables-nft manages but cannot show ("ip filter"): the nft reader
// leaves them to the native reader instead of failing them.
struct DelegatedTables {
  std::set<std::string> labels;
  // Rules of iptables tables ("ip filter") that only nft syntax shows whole:
  // the native reader shows just these, in a table of that label.
  std::map<std::string, std::vector<NativeRuleRequest>> rules;
};

}  // namespace aim
