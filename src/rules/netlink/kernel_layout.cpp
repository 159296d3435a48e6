#include "rules/netlink/kernel_layout.h"

#include <algorithm>
#include <initializer_list>

namespace aim {

bool unambiguous_chain_name(std::string_view name) {
  return !name.empty() && std::none_of(name.begin(), name.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || c == '"' || c == '\\';
  });
}

bool builtin_chain(std::string_view table, std::string_view chain) {
  using List = std::initializer_list<std::string_view>;
  auto in = [&](List names) { return std::find(names.begin(), names.end(), chain) != names.end(); };
  if (table == "filter" || table == "security") return in(List{"INPUT", "FORWARD", "OUTPUT"});
  if (table == "nat") return in(List{"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"});
  if (table == "mangle") return in(List{"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"});
  if (table == "raw") return in(List{"PREROUTING", "OUTPUT"});
  return false;
}

}  // namespace aim
