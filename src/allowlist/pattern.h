#pragma once
// One allowlist pattern: a Go (RE2) regular expression, translated to PCRE2
// and compiled once (JIT where available), searched unanchored in a rule line
// as Go's regexp.MatchString does. Match limits keep any pattern from hanging
// a check; hitting one counts as "no match" (fail closed) and is reported.
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "util/result.h"

namespace aim {

struct PatternSource {
  std::string file;  // path of the allowlist file
  size_t line = 0;   // 1-based
};

enum class MatchResult { NoMatch, Match, LimitHit };

struct PatternOptions {
  // Use PCRE2's JIT when it is available. Off, matching runs in the
  // interpreter, as it must under MemoryDenyWriteExecute (the systemd unit),
  // where the JIT cannot map executable memory; tests run both paths.
  bool jit = true;
};

class Pattern {
 public:
  // Compiles `text` (Go syntax). On failure the error message says why and
  // `error_column` gives the 1-based column in `text`.
  struct CompileError {
    size_t column = 0;
    std::string reason;
  };
  static std::variant<Pattern, CompileError> compile(std::string text, PatternSource source,
                                                     PatternOptions options = {});

  // Searches `subject` as Go's MatchString would (bytes that are not valid
  // UTF-8 read as U+FFFD).
  MatchResult search(std::string_view subject) const;
  // The same for text already passed through as_go_text (valid UTF-8), so a
  // caller trying many patterns on one line converts it once.
  MatchResult search_go_text(std::string_view valid_utf8) const;

  const std::string& text() const { return text_; }
  const PatternSource& source() const { return source_; }
  bool jit() const;

  Pattern(Pattern&&) noexcept;
  Pattern& operator=(Pattern&&) noexcept;
  ~Pattern();

 private:
  struct Compiled;
  Pattern(std::string text, PatternSource source, std::unique_ptr<Compiled> compiled);
  std::string text_;
  PatternSource source_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace aim
