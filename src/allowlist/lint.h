#pragma once
// Warnings about patterns that compile but do not mean what they say: ones
// that can never match what `iptables -S` prints, and ones that text a user
// writes into a rule (a comment, a log prefix) can satisfy. Pure.
#include <optional>
#include <string>
#include <string_view>

#include "allowlist/pattern.h"

namespace aim {

// A reason the pattern can never match -S output, or nothing. Today: a port
// option right after `-p tcp|udp|sctp|dccp`, which -S always prints with the
// protocol's match in between (`-p tcp -m tcp --dport 80`).
std::optional<std::string> never_matching_reason(std::string_view pattern);

// A reason a line that starts with '#' is not the comment it looks like, or
// nothing. Allowlist files have no comments (upstream's format: every
// non-empty line is a pattern), so `# allow ssh` allows every rule whose text
// contains it, a rule with that comment included. Its meaning is kept; the
// operator is told, with what to do.
std::optional<std::string> comment_lookalike_reason(std::string_view pattern);

// A reason the pattern allows rules it does not name, or nothing: it allows a
// rule of a chain and target of nobody's (AIM-PROBE) whose only text of the
// pattern's own stands in a comment, a LOG prefix or an NFLOG prefix, as
// iptables prints them. Unanchored patterns naming a token (`-j
// KUBE-FIREWALL`, `--comment.*cilium:`) are the common case; the reason names
// such a rule and says how to anchor the pattern. Found by trying strings the
// pattern matches (pattern_witnesses) in those places: a reason given is
// always true, a pattern this misses stays possible. For iptables patterns
// only (not the nftables file, whose lines are nft syntax).
std::optional<std::string> free_text_satisfiable_reason(const Pattern& pattern);

}  // namespace aim
