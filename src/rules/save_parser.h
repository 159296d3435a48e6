#pragma once
// Parses iptables-save text (as iptables-nft-save prints it) into a RuleSet
// whose lines are exactly what `iptables -t T -S CHAIN` prints: ":CHAIN
// POLICY [p:b]" headers become "-P CHAIN POLICY" or "-N CHAIN", "-A" lines are
// kept as they are. Pure.
//
// Fail closed: a table iptables-nft reports as incompatible (or holding
// incompatible base chains), a section without COMMIT, a rule for an
// undeclared chain or an unknown line marks that table unreadable.
// A rule whose quoted string spans lines (a comment with a newline) stays
// one rule.
#include <memory>
#include <string>
#include <string_view>

#include "rules/ruleset.h"

namespace aim {

RuleSet parse_save_text(std::string text, Family family, Backend backend);
// The same for text owned elsewhere; `owner` keeps it alive with the RuleSet.
RuleSet parse_save_text(std::string_view text, std::shared_ptr<const void> owner, Family family,
                        Backend backend);

}  // namespace aim
