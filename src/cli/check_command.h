#pragma once
#include <ostream>
#include <vector>

#include "cli/options.h"
#include "rules/reader.h"

namespace aim {

// `check`: load the allowlists, read every selected family from every
// reader, decide, report. Returns 0 clean, 1 unexpected, 2 unknown.
int run_check_command(const GlobalOptions& global, const CheckOptions& options,
                      const std::vector<RuleReader*>& readers, std::ostream& out,
                      std::ostream& err);

// `validate`: report every allowlist problem, and warn about patterns that
// text in a comment or log prefix can satisfy. 0 if there is no problem (and,
// with options.strict, no such warning), 1 otherwise.
int run_validate_command(const GlobalOptions& global, const ValidateOptions& options,
                         bool check_ipv6, std::ostream& out, std::ostream& err);

}  // namespace aim
