#pragma once
// Which legacy tables the kernel has loaded, from /proc/net/ip{,6}_tables_names.
#include <string>
#include <string_view>
#include <vector>

#include "rules/ruleset.h"

namespace aim {

// The names in `proc_text` (one per line, any order) that are among
// kTableOrder, returned in kTableOrder order. Other tables (none exist today)
// are ignored.
std::vector<std::string> parse_table_names(std::string_view proc_text);

// /proc/net/ip_tables_names or /proc/net/ip6_tables_names.
std::string_view table_names_path(Family family);

}  // namespace aim
