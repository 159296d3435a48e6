#pragma once
// Renders a Report for people (text) and programs (JSON). Pure.
#include <ostream>
#include <vector>

#include "allowlist/allowlist.h"
#include "check/check.h"

namespace aim {

// The label value a verdict asks for: "true", "false", or nothing (unknown
// never patches "false"; the label is left as it is).
std::string_view label_for(Verdict v);

// Unexpected rules grouped by backend/family/table/chain, read errors,
// patterns that hit a match limit, then a one-line summary.
void print_report_text(std::ostream& out, const Report& report);

// {"verdict","label","unexpected":[{"family","backend","table","chain","rule"}],
//  "tables":[{"family","backend","table","rules","unexpected","error"}],
//  "errors":[..],"limit_hits":[{"file","line","pattern","rules"}],
//  "diagnostics":[{"severity","file","line","column","message"}]}
void print_report_json(std::ostream& out, const Report& report,
                       const std::vector<Diagnostic>& diagnostics);

// "3 unexpected (filter 2, nat 1) of 1234 lines" style summary.
std::string summarize(const Report& report);

}  // namespace aim
