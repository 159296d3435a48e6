#include "rules/changes/xt_sizes.h"

namespace aim {

std::vector<std::string> changed_tables(const XtTableSizes& before, const XtTableSizes& after) {
  std::vector<std::string> changed;
  for (const auto& [table, size] : after) {
    auto it = before.find(table);
    if (it == before.end() || it->second != size) changed.push_back(table);
  }
  for (const auto& [table, size] : before)
    if (!after.count(table)) changed.push_back(table);
  return changed;
}

}  // namespace aim
