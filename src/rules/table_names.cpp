#include "rules/table_names.h"

#include <algorithm>

namespace aim {

std::vector<std::string> parse_table_names(std::string_view proc_text) {
  std::vector<bool> present(std::size(kTableOrder), false);
  size_t pos = 0;
  while (pos <= proc_text.size()) {
    size_t end = proc_text.find('\n', pos);
    if (end == std::string_view::npos) end = proc_text.size();
    std::string_view name = proc_text.substr(pos, end - pos);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\r')) name.remove_suffix(1);
    if (auto rank = table_rank(name)) present[*rank] = true;
    pos = end + 1;
  }
  std::vector<std::string> names;
  for (size_t i = 0; i < present.size(); ++i)
    if (present[i]) names.emplace_back(kTableOrder[i]);
  return names;
}

std::string_view table_names_path(Family family) {
  return family == Family::V4 ? "/proc/net/ip_tables_names" : "/proc/net/ip6_tables_names";
}

}  // namespace aim
