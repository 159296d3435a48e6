#pragma once
// What a Kubernetes node name may be. Pure.
#include <string>
#include <string_view>

namespace aim {

// A DNS-1123 subdomain, as Kubernetes requires of Node (and so CiliumNode)
// names: 1 to 253 characters of lowercase letters, digits, '-' and '.', each
// dot-separated label starting and ending with a letter or digit.
bool is_valid_node_name(std::string_view name);

// Why `name` is refused and what a valid one looks like; the name is shown
// with non-printable bytes escaped and cut when long.
std::string invalid_node_name_message(std::string_view name);

}  // namespace aim
