#pragma once
// Small text helpers for what operators read (log lines, STATUS=). Pure.
#include <cstddef>
#include <string>
#include <string_view>

namespace aim {

// A duration in seconds as a person writes it: "300 s", "1.5 s", "0.25 s"
// (at most three decimals, trailing zeros dropped; never "300.000000 s").
std::string format_seconds(double seconds);

// `text` if it has at most `max` bytes; otherwise cut after the last whole
// word that fits, so a path, a URL or an errno text is never cut in two,
// followed by "...". Separators left dangling at the cut (": ", "; ", ", ")
// go too. A single word longer than `max` is kept whole up to `hard_max`
// bytes (a path is worth more than a tidy line) and cut there.
std::string shorten_at_word(std::string_view text, size_t max, size_t hard_max);

}  // namespace aim
