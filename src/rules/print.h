#pragma once
// Renders RuleSets for the `rules` command. Pure: writes to a std::ostream.
#include <ostream>
#include <string_view>
#include <vector>

#include "rules/ruleset.h"

namespace aim {

enum class RulesFormat { Tsv, Save, Json };

// tsv:  "TABLE<TAB>LINE" for every -P/-N and -A line, chain by chain.
// save: iptables-save text (without counters), loadable by iptables-restore.
// json: {"rulesets":[{"family","backend","error","tables":[{"table","error",
//        "chains":[{"chain","header","rules":[...]}]}]}]}
// With more than one set, tsv and save put "# BACKEND ipvN" before each set.
// Tables that failed to read are left out of tsv/save (their errors are the
// caller's to report) and carry their error in json.
void print_rulesets(std::ostream& out, const std::vector<RuleSet>& sets, RulesFormat format);
// The same for sets kept elsewhere (a 10,000-service set is ~40k chains:
// not worth a copy to print).
void print_rulesets(std::ostream& out, const std::vector<const RuleSet*>& sets, RulesFormat format);

// Converts a -P/-N line into iptables-save's ":CHAIN POLICY [0:0]" line.
std::string save_chain_line(std::string_view header);

}  // namespace aim
