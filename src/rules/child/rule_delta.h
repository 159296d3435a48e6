#pragma once
// The parent's side of a delta answer (rule_stream.h): the set it kept from
// the helper's base answer, with the changed tables and chains put in,
// deleted chains taken out and every other table and chain as kept. Pure
// logic; anything that does not fit the kept set exactly is an error, and
// the caller then asks for a full answer (never a guessed set).
#include <string>
#include <vector>

#include "rules/child/rule_stream.h"
#include "rules/ruleset.h"
#include "util/result.h"

namespace aim {

// `tables`: the tables the delta's snapshot record names, which must be the
// kept set's. The result takes over `kept`'s chains and keeps its text
// alive (its arena): no unchanged chain is copied.
Result<RuleSet> apply_rule_changes(RuleSet kept, StreamChanges changes,
                                   const std::vector<std::string>& tables);

}  // namespace aim
