#pragma once
// Go regexp (RE2 syntax) -> PCRE2 syntax, so allowlists written for upstream's
// Go monitor mean exactly what they meant there. Pure.
//
// The PCRE2 text is meant for the options aim::Pattern compiles with
// (PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, newline LF, no PCRE2_UCP), searched
// unanchored against subjects first passed through as_go_text(). Everything Go's
// regexp.Compile rejects is rejected (so no pattern allows more here than it
// did upstream), as is the little we cannot translate faithfully; the
// reason names the construct.
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "util/utf8.h"  // as_go_text: subjects are matched as Go reads them

namespace aim {

struct GoRegexError {
  size_t offset = 0;  // 0-based byte offset of the problem in the Go pattern
  std::string reason;
};

std::variant<std::string, GoRegexError> translate_go_regex(std::string_view go_pattern);

}  // namespace aim
