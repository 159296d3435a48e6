#include "allowlist/go_regex.h"

#include <cstdint>
#include <cstring>
#include <optional>

namespace aim {
namespace {

// Length of the valid UTF-8 sequence starting at s[i] (shortest form, no
// surrogates, at most U+10FFFF), or 0 if the byte there starts none.
size_t utf8_length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const uint8_t c = b(0);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

bool is_octal(char c) { return c >= '0' && c <= '7'; }
bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string hex_escape(uint32_t cp) {
  static const char* digits = "0123456789abcdef";
  std::string h;
  do {
    h.insert(h.begin(), digits[cp & 0xF]);
    cp >>= 4;
  } while (cp);
  return "\\x{" + h + "}";
}

// Go's \s is [\t\n\f\r ]; PCRE2's also matches \v.
constexpr std::string_view kGoSpace = "\\t\\n\\f\\r ";
// Everything but kGoSpace, for \S inside a class (a class cannot nest [^...]).
constexpr std::string_view kGoNotSpace = "\\x00-\\x08\\x0b\\x0e-\\x1f\\x21-\\x{10ffff}";

constexpr const char* kPosixClasses[] = {"alnum", "alpha", "ascii", "blank", "cntrl",
                                         "digit", "graph", "lower", "print", "punct",
                                         "space", "upper", "word",  "xdigit"};

class Translator {
 public:
  explicit Translator(std::string_view p) : p_(p) {}

  std::variant<std::string, GoRegexError> run() {
    for (size_t i = 0; i < p_.size();) {
      const size_t n = utf8_length(p_, i);
      if (n == 0) return GoRegexError{i, "invalid UTF-8 in pattern"};
      i += n;
    }
    while (pos_ < p_.size() && !error_) step();
    if (error_) return *error_;
    if (depth_ != 0) return GoRegexError{p_.size(), "missing closing ): unbalanced parenthesis"};
    return out_;
  }

 private:
  enum class Last { Nothing, Item, Repeat, LazyRepeat };

  void fail(size_t at, std::string why) {
    if (!error_) error_ = GoRegexError{at, std::move(why)};
  }

  void step() {
    const char c = p_[pos_];
    switch (c) {
      case '\\':
        escape_outside_class();
        return;
      case '[':
        char_class();
        return;
      case '(':
        open_group();
        return;
      case ')':
        if (depth_ == 0) return fail(pos_, "unexpected ): unbalanced parenthesis");
        --depth_;
        out_ += ')';
        ++pos_;
        last_ = Last::Item;
        return;
      case '|':
        out_ += '|';
        ++pos_;
        last_ = Last::Nothing;
        return;
      case '*':
      case '+':
      case '?':
        repeat(std::string(1, c), 1);
        return;
      case '{': {
        const size_t len = repeat_count_length();
        if (error_) return;
        if (len == 0) {
          // Not a repeat count: a literal brace in Go.
          out_ += "\\{";
          ++pos_;
          last_ = Last::Item;
          return;
        }
        repeat(std::string(p_.substr(pos_, len)), len);
        return;
      }
      default: {
        const size_t n = utf8_length(p_, pos_);
        out_.append(p_.substr(pos_, n));
        pos_ += n;
        last_ = (c == '^' || c == '$') ? Last::Item : Last::Item;
        return;
      }
    }
  }

  // `token` is a quantifier already validated; Go forbids stacking them
  // (a**, a*+, a{2}{3}) and allows one `?` after a quantifier (lazy).
  void repeat(const std::string& token, size_t len) {
    if (token == "?" && last_ == Last::Repeat) {
      out_ += '?';
      pos_ += 1;
      last_ = Last::LazyRepeat;
      return;
    }
    if (last_ == Last::Repeat || last_ == Last::LazyRepeat)
      return fail(pos_, "invalid nested repetition operator " + token +
                            " (Go's regexp does not allow possessive or stacked quantifiers)");
    if (last_ == Last::Nothing) return fail(pos_, "missing argument to repetition operator " + token);
    out_ += token;
    pos_ += len;
    last_ = Last::Repeat;
  }

  // Length of a valid Go repeat count at pos_ ("{n}", "{n,}", "{n,m}"), 0 if
  // the brace is literal; fails for counts Go rejects.
  size_t repeat_count_length() {
    size_t i = pos_ + 1;
    auto number = [&](int& value) {
      const size_t start = i;
      value = 0;
      while (i < p_.size() && p_[i] >= '0' && p_[i] <= '9') {
        if (value <= 100000) value = value * 10 + (p_[i] - '0');
        ++i;
      }
      return i > start;
    };
    int lo = 0, hi = -1;
    if (!number(lo)) return 0;
    if (i < p_.size() && p_[i] == ',') {
      ++i;
      if (i < p_.size() && p_[i] != '}') {
        if (!number(hi)) return 0;
      } else {
        hi = -2;  // open-ended
      }
    } else {
      hi = lo;
    }
    if (i >= p_.size() || p_[i] != '}') return 0;
    if (lo > 1000 || hi > 1000 || (hi >= 0 && hi < lo)) {
      fail(pos_, "invalid repeat count " + std::string(p_.substr(pos_, i + 1 - pos_)) +
                     " (Go allows at most 1000)");
      return 0;
    }
    return i + 1 - pos_;
  }

  void open_group() {
    const size_t start = pos_;
    if (p_.substr(pos_, 2) == "(*")
      return fail(pos_, "(*...) verbs are not supported by Go's regexp (RE2)");
    if (p_.substr(pos_, 2) != "(?") {
      out_ += '(';
      ++pos_;
      ++depth_;
      last_ = Last::Nothing;
      return;
    }
    const std::string_view rest = p_.substr(pos_ + 2);
    // Named groups: (?P<name>re), and (?<name>re) as newer Go accepts.
    if (rest.starts_with("P<") || (rest.starts_with("<") && !rest.starts_with("<=") &&
                                   !rest.starts_with("<!"))) {
      const size_t name_start = pos_ + 2 + (rest[0] == 'P' ? 2 : 1);
      size_t i = name_start;
      while (i < p_.size() && (is_alnum(p_[i]) || p_[i] == '_')) ++i;
      if (i == name_start || i >= p_.size() || p_[i] != '>')
        return fail(start, "invalid named capture group name");
      out_ += "(?<" + std::string(p_.substr(name_start, i - name_start)) + ">";
      pos_ = i + 1;
      ++depth_;
      last_ = Last::Nothing;
      return;
    }
    // Flags: (?imsU-imsU) or (?imsU-imsU:re).
    size_t i = pos_ + 2;
    bool negated = false, any = false, after_minus = false;
    while (i < p_.size() && p_[i] != ')' && p_[i] != ':') {
      const char f = p_[i];
      if (f == '-' && !negated) {
        negated = true;
        after_minus = false;
      } else if (f == 'i' || f == 'm' || f == 's' || f == 'U') {
        any = true;
        after_minus = true;
      } else {
        return fail(start, unsupported_group(rest));
      }
      ++i;
    }
    if (i >= p_.size()) return fail(start, "missing closing ) after flags");
    // (?:re) is a plain non-capturing group; otherwise at least one flag,
    // and none missing after a '-'.
    // (?:re) is a plain non-capturing group and Go accepts an empty (?);
    // otherwise no '-' may be left without a flag after it.
    if (negated && !after_minus) return fail(start, "invalid or missing flags in (?...)");
    if (!any && !negated && p_[i] == ')') {
      pos_ = i + 1;  // (?) sets nothing: emit nothing
      return;
    }
    out_.append(p_.substr(pos_, i + 1 - pos_));
    if (p_[i] == ':') {
      ++depth_;
      last_ = Last::Nothing;
    } else {
      // A bare flag group is not something a quantifier can apply to.
      last_ = Last::Nothing;
    }
    pos_ = i + 1;
  }

  static std::string unsupported_group(std::string_view rest) {
    const char* what = "this (?...) construct";
    if (rest.starts_with("=")) what = "lookahead (?=";
    else if (rest.starts_with("!")) what = "negative lookahead (?!";
    else if (rest.starts_with("<=")) what = "lookbehind (?<=";
    else if (rest.starts_with("<!")) what = "negative lookbehind (?<!";
    else if (rest.starts_with(">")) what = "atomic group (?>";
    else if (rest.starts_with("#")) what = "comment (?#";
    else if (rest.starts_with("|")) what = "branch reset (?|";
    else if (rest.starts_with("(")) what = "conditional (?(";
    else if (rest.starts_with("C")) what = "callout (?C";
    else if (rest.starts_with("R") || rest.starts_with("&") || rest.starts_with("P>") ||
             rest.starts_with("P=") || (!rest.empty() && (is_alnum(rest[0]) || rest[0] == '+' ||
                                                         rest[0] == '-')))
      what = "recursion, subroutine call or backreference";
    return std::string(what) + " is not supported by Go's regexp (RE2)";
  }

  // Escapes valid in Go both inside and outside classes that need rewriting
  // or checking: octal, hex, \v, punctuation, \a\f\t\n\r, \pX, \d\w\s.
  // Returns false (without failing) when `c` is not one of them.
  bool common_escape(char c, bool in_class) {
    const size_t at = pos_;
    if (c >= '1' && c <= '7' && !(pos_ + 2 < p_.size() && is_octal(p_[pos_ + 2]))) {
      fail(at, "backreference \\" + std::string(1, c) + " is not supported by Go's regexp (RE2)");
      return true;
    }
    if (is_octal(c)) {
      // Go: \0 or \1-\7 followed by an octal digit, up to three digits.
      uint32_t v = 0;
      size_t i = pos_ + 1;
      for (int k = 0; k < 3 && i < p_.size() && is_octal(p_[i]); ++k, ++i) v = v * 8 + (p_[i] - '0');
      out_ += hex_escape(v);
      pos_ = i;
      return true;
    }
    if (c == 'x') {
      size_t i = pos_ + 2;
      uint32_t v = 0;
      if (i < p_.size() && p_[i] == '{') {
        ++i;
        const size_t digits = i;
        while (i < p_.size() && is_hex(p_[i])) {
          if (v <= 0x10FFFF) v = v * 16 + std::stoul(std::string(1, p_[i]), nullptr, 16);
          ++i;
        }
        if (i == digits || i >= p_.size() || p_[i] != '}' || v > 0x10FFFF) {
          fail(at, "invalid escape sequence \\x{...}");
          return true;
        }
        ++i;
      } else {
        if (i + 1 >= p_.size() + 0 || !is_hex(p_[i]) || i + 1 >= p_.size() || !is_hex(p_[i + 1])) {
          fail(at, "invalid escape sequence \\x (Go needs two hex digits or \\x{...})");
          return true;
        }
        v = std::stoul(std::string(p_.substr(i, 2)), nullptr, 16);
        i += 2;
      }
      out_ += hex_escape(v);
      pos_ = i;
      return true;
    }
    if (c == 'v') {  // Go: the vertical tab character; PCRE2: a class
      out_ += "\\x0b";
      pos_ += 2;
      return true;
    }
    if (c == 's' || c == 'S') {
      if (in_class)
        out_ += c == 's' ? kGoSpace : kGoNotSpace;
      else
        out_ += "[" + std::string(c == 's' ? "" : "^") + std::string(kGoSpace) + "]";
      pos_ += 2;
      return true;
    }
    if (c == 'a' || c == 'f' || c == 't' || c == 'n' || c == 'r' || c == 'd' || c == 'D' ||
        c == 'w' || c == 'W') {
      out_.append(p_.substr(pos_, 2));
      pos_ += 2;
      return true;
    }
    if (c == 'p' || c == 'P') {
      size_t i = pos_ + 2;
      if (i >= p_.size()) {
        fail(at, "invalid character class range \\" + std::string(1, c));
        return true;
      }
      if (p_[i] == '{') {
        const size_t close = p_.find('}', i);
        if (close == std::string_view::npos) {
          fail(at, "invalid Unicode class: missing }");
          return true;
        }
        i = close + 1;
      } else {
        i += utf8_length(p_, i);
      }
      out_.append(p_.substr(pos_, i - pos_));
      pos_ = i;
      return true;
    }
    if (static_cast<unsigned char>(c) < 0x80 && !is_alnum(c)) {  // escaped punctuation
      out_.append(p_.substr(pos_, 2));
      pos_ += 2;
      return true;
    }
    return false;
  }

  void escape_outside_class() {
    if (pos_ + 1 >= p_.size()) return fail(pos_, "trailing backslash at end of expression");
    const char c = p_[pos_ + 1];
    if (c == 'Q') {
      // Literal text up to \E (or the end), as in Go and PCRE2; each
      // character is emitted escaped so nothing inside is special.
      size_t end = p_.find("\\E", pos_ + 2);
      const size_t stop = end == std::string_view::npos ? p_.size() : end;
      std::string_view literal = p_.substr(pos_ + 2, stop - pos_ - 2);
      for (size_t i = 0; i < literal.size();) {
        const size_t n = utf8_length(literal, i);
        if (n == 1 && !is_alnum(literal[i]) && static_cast<unsigned char>(literal[i]) < 0x80 &&
            literal[i] != ' ')
          out_ += '\\';
        out_.append(literal.substr(i, n));
        i += n;
      }
      pos_ = end == std::string_view::npos ? p_.size() : end + 2;
      if (!literal.empty()) last_ = Last::Item;
      return;
    }
    if (c == 'b' || c == 'B' || c == 'A' || c == 'z') {
      out_.append(p_.substr(pos_, 2));
      pos_ += 2;
      last_ = Last::Item;
      return;
    }
    if (common_escape(c, false)) {
      last_ = Last::Item;
      return;
    }
    fail(pos_, "invalid escape sequence \\" + std::string(1, c) +
                   " (not supported by Go's regexp)");
  }

  void char_class() {
    const size_t start = pos_;
    out_ += '[';
    ++pos_;
    if (pos_ < p_.size() && p_[pos_] == '^') {
      out_ += '^';
      ++pos_;
    }
    bool first = true;
    while (!error_) {
      if (pos_ >= p_.size()) return fail(start, "missing closing ] of character class");
      const char c = p_[pos_];
      if (c == ']' && !first) {
        out_ += ']';
        ++pos_;
        last_ = Last::Item;
        return;
      }
      first = false;
      if (c == ']') {  // first in the class: literal in Go
        out_ += "\\]";
        ++pos_;
        continue;
      }
      if (c == '[') {
        if (posix_class()) continue;
        if (error_) return;
        out_ += "\\[";  // literal in Go; PCRE2 would see [. or [= specially
        ++pos_;
        continue;
      }
      if (c == '\\') {
        if (pos_ + 1 >= p_.size()) return fail(pos_, "trailing backslash at end of expression");
        const char e = p_[pos_ + 1];
        if (common_escape(e, true)) {
          // Go reads a '-' right after a class escape ([\d-z]) as a literal;
          // PCRE2 would reject it as a range.
          const bool class_escape = e == 'd' || e == 'D' || e == 'w' || e == 'W' || e == 's' ||
                                    e == 'S' || e == 'p' || e == 'P';
          if (class_escape && pos_ + 1 < p_.size() && p_[pos_] == '-' && p_[pos_ + 1] != ']') {
            out_ += "\\-";
            ++pos_;
          }
          continue;
        }
        return fail(pos_, "invalid escape sequence \\" + std::string(1, e) +
                              " inside a character class (not supported by Go's regexp)");
      }
      const size_t n = utf8_length(p_, pos_);
      out_.append(p_.substr(pos_, n));
      pos_ += n;
    }
  }

  // [:name:] or [:^name:] at pos_; copies it and returns true if valid.
  bool posix_class() {
    if (p_.substr(pos_, 2) != "[:") return false;
    const size_t close = p_.find(":]", pos_ + 2);
    if (close == std::string_view::npos) return false;
    std::string_view name = p_.substr(pos_ + 2, close - pos_ - 2);
    if (name.starts_with("^")) name.remove_prefix(1);
    for (const char* known : kPosixClasses) {
      if (name == known) {
        out_.append(p_.substr(pos_, close + 2 - pos_));
        pos_ = close + 2;
        return true;
      }
    }
    fail(pos_, "invalid character class range [:" + std::string(name) + ":]");
    return false;
  }

  std::string_view p_;
  size_t pos_ = 0;
  int depth_ = 0;
  Last last_ = Last::Nothing;
  std::string out_;
  std::optional<GoRegexError> error_;
};

}  // namespace

std::variant<std::string, GoRegexError> translate_go_regex(std::string_view go_pattern) {
  return Translator(go_pattern).run();
}

std::string_view as_go_text(std::string_view subject, std::string& buffer) {
  // Rule text is almost always ASCII: check that first, eight bytes a time.
  size_t i = 0;
  for (; i + 8 <= subject.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, subject.data() + i, 8);
    if (word & 0x8080808080808080ULL) break;
  }
  while (i < subject.size()) {
    const size_t n = utf8_length(subject, i);
    if (n == 0) break;
    i += n;
  }
  if (i == subject.size()) return subject;
  buffer.assign(subject.substr(0, i));
  while (i < subject.size()) {
    const size_t n = utf8_length(subject, i);
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
