#pragma once
// UTF-8 as Go reads it (utf8.DecodeRuneInString): what the allowlist
// matcher sees of a rule, and what reports print of it. Pure.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace aim {

inline constexpr uint32_t kMaxRune = 0x10FFFF;
inline constexpr uint32_t kSurrogateFirst = 0xD800;
inline constexpr uint32_t kSurrogateLast = 0xDFFF;

struct Decoded {
  uint32_t cp = 0;
  size_t len = 0;  // 0: not valid UTF-8 here
};

// Decodes one code point at `i` as Go's utf8.DecodeRuneInString accepts
// it: shortest form, no surrogates, at most U+10FFFF.
Decoded decode_utf8(std::string_view s, size_t i);

// `subject` when it is valid UTF-8; else a copy in `buffer` with each byte
// that is not (of) a valid character replaced by U+FFFD, as Go decodes it.
std::string_view as_go_text(std::string_view subject, std::string& buffer);

}  // namespace aim
