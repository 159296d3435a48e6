#pragma once
// Upstream's Go binary took single-dash long flags (-input=/x, -events=true,
// -v 2). Existing command lines must keep working, so those are rewritten to
// the double-dash form before CLI11 parses them.
#include <set>
#include <string>
#include <vector>

namespace aim {

// Rewrites "-name" / "-name=value" to "--name" / "--name=value" when `name`
// is one of `long_names`; "-v=N" becomes "--v=N". Everything after a bare
// "--" is left alone, as are arguments that are not flags.
std::vector<std::string> normalize_go_flags(const std::vector<std::string>& args,
                                            const std::set<std::string>& long_names);

}  // namespace aim
