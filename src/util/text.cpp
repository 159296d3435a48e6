#include "util/text.h"

#include <cmath>
#include <cstdio>

namespace aim {

std::string format_seconds(double seconds) {
  if (!std::isfinite(seconds)) return "? s";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", seconds);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s + " s";
}

std::string shorten_at_word(std::string_view text, size_t max, size_t hard_max) {
  if (text.size() <= max) return std::string(text);
  const std::string_view ellipsis = "...";
  // The last space at or before `max`: everything before it is whole words.
  size_t cut = text.rfind(' ', max);
  if (cut == std::string_view::npos || cut == 0) {
    // One long first word: keep it whole if it fits under the hard cap.
    const size_t end = text.find(' ');
    cut = end != std::string_view::npos && end <= hard_max ? end : hard_max;
    if (cut >= text.size()) return std::string(text.substr(0, hard_max));
  }
  std::string_view kept = text.substr(0, cut);
  while (!kept.empty() && (kept.back() == ' ' || kept.back() == ':' || kept.back() == ';' ||
                           kept.back() == ',' || kept.back() == '('))
    kept.remove_suffix(1);
  return std::string(kept) + " " + std::string(ellipsis);
}

}  // namespace aim
