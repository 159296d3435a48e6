#pragma once
// Strings a Go (RE2) pattern matches, built from its syntax, so that a lint can
// place them where a rule holds free text (a comment, a log prefix) and ask
// the real matcher whether the pattern then allows that rule. Pure.
//
// Each atom becomes one character it matches (found by compiling the atom
// alone and trying characters: no class or escape is interpreted here), each
// repetition its minimum count (and, when that is zero, also one), each
// alternation every branch, up to `limit` strings. Anchors and word
// boundaries produce nothing, so a witness may not match on its own: callers
// must hold every use against Pattern::search, which alone decides. Missing a
// string is possible (a warning not given); vouching for one is not.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace aim {

std::vector<std::string> pattern_witnesses(std::string_view go_pattern, size_t limit = 32);

}  // namespace aim
