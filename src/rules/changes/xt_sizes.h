#pragma once
// What tells that rules changed, decided without I/O. x_tables announces
// nothing, so the sizes of the loaded tables (entry count, blob size) are
// compared between polls: a table added, removed or resized is a change. A
// replacement of the same size (`iptables -R` with a rule of equal length) is
// not seen here; the entries' fingerprint sees it (xt_fingerprint.h).
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace aim {

// "ipv4 nat" -> (entries, bytes); a table that could not be asked maps to
// (0, 0), so that it becoming readable again is a change too.
using XtTableSizes = std::map<std::string, std::pair<unsigned, unsigned>>;

// The tables that differ between two polls ("ipv4 nat", ...), in order.
std::vector<std::string> changed_tables(const XtTableSizes& before, const XtTableSizes& after);

}  // namespace aim
