#include "util/utf8.h"

#include <cstring>

namespace aim {

Decoded decode_utf8(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const uint8_t c = byte(0);
  if (c < 0x80) return {c, 1};
  size_t n = 0;
  uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1Fu;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0Fu;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07u;
  } else {
    return {};
  }
  if (i + n > s.size()) return {};
  for (size_t k = 1; k < n; ++k) {
    if ((byte(k) & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (byte(k) & 0x3Fu);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > kMaxRune ||
      (cp >= kSurrogateFirst && cp <= kSurrogateLast))
    return {};
  return {cp, n};
}

std::string_view as_go_text(std::string_view subject, std::string& buffer) {
  // Rule text is almost always ASCII: check that first, eight bytes a time.
  size_t i = 0;
  for (; i + 8 <= subject.size(); i += 8) {
    uint64_t word = 0;
    std::memcpy(&word, subject.data() + i, 8);
    if ((word & 0x8080808080808080ULL) != 0) break;
  }
  while (i < subject.size()) {
    const size_t n = decode_utf8(subject, i).len;
    if (n == 0) break;
    i += n;
  }
  if (i == subject.size()) return subject;
  buffer.assign(subject.substr(0, i));
  while (i < subject.size()) {
    const size_t n = decode_utf8(subject, i).len;
    if (n == 0) {
      buffer += "\xEF\xBF\xBD";  // U+FFFD, one per invalid byte, as Go decodes
      ++i;
    } else {
      buffer.append(subject.substr(i, n));
      i += n;
    }
  }
  return buffer;
}

}  // namespace aim
