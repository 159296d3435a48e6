#pragma once
// Warnings about patterns that compile but can never match what `iptables -S`
// prints. Pure.
#include <optional>
#include <string>
#include <string_view>

namespace aim {

// A reason the pattern can never match -S output, or nothing. Today: a port
// option right after `-p tcp|udp|sctp|dccp`, which -S always prints with the
// protocol's match in between (`-p tcp -m tcp --dport 80`).
std::optional<std::string> never_matching_reason(std::string_view pattern);

}  // namespace aim
