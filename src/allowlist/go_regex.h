#pragma once
// Go regexp (RE2 syntax) -> PCRE2 syntax, so allowlists written for upstream's
// Go monitor mean exactly what they meant there. Pure.
//
// The PCRE2 text is meant for PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
// PCRE2_DOLLAR_ENDONLY with newline LF, searched unanchored, no PCRE2_UCP.
// Under those options most syntax means the same in both; the differences
// are rewritten here, and everything Go's regexp.Compile rejects is rejected
// (so no pattern allows more here than it did upstream).
#include <string>
#include <string_view>
#include <variant>

namespace aim {

struct GoRegexError {
  size_t offset = 0;  // byte offset of the problem in the Go pattern
  std::string reason;
};

std::variant<std::string, GoRegexError> translate_go_regex(std::string_view go_pattern);

// The text Go's regexp matches for `subject`: each byte that is not part of
// valid UTF-8 becomes U+FFFD, as Go decodes it. Returns `subject` itself when
// it is valid (the common case), else a view of `buffer`.
std::string_view as_go_text(std::string_view subject, std::string& buffer);

}  // namespace aim
