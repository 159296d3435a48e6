#include "allowlist/pattern_witness.h"

#include <map>
#include <variant>

#include "allowlist/pattern.h"

namespace aim {
namespace {

// Longer witnesses fit in no comment (255 bytes) and are not worth building.
constexpr size_t kMaxWitnessBytes = 1024;

// Characters tried for an atom, most readable first. Quotes and backslashes
// come last: iptables escapes them inside a quoted comment.
constexpr std::string_view kPreferred = "xa0A-_:./= ";

size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xe) return 3;
  if ((lead >> 3) == 0x1e) return 4;
  return 1;
}

class WitnessBuilder {
 public:
  WitnessBuilder(std::string_view pattern, size_t limit) : p_(pattern), limit_(limit) {}

  std::vector<std::string> build() {
    Set out = alternation();
    if (malformed_ || pos_ != p_.size()) return {};
    return out;
  }

 private:
  using Set = std::vector<std::string>;

  bool at(char c) const { return pos_ < p_.size() && p_[pos_] == c; }

  void add_capped(Set& to, const std::string& s) const {
    if (to.size() < limit_ && s.size() <= kMaxWitnessBytes) to.push_back(s);
  }

  Set alternation() {
    Set out = sequence();
    while (!malformed_ && at('|')) {
      ++pos_;
      for (const std::string& s : sequence()) add_capped(out, s);
    }
    return out;
  }

  Set sequence() {
    Set out{""};
    while (!malformed_ && pos_ < p_.size() && !at('|') && !at(')')) {
      Set item = repeated(atom());
      Set next;
      for (const std::string& a : out)
        for (const std::string& b : item) add_capped(next, a + b);
      out = std::move(next);
    }
    return out;
  }

  // A group, class, escape or character; the strings it can stand for.
  Set atom() {
    const char c = p_[pos_];
    if (c == '(') return group();
    if (c == '[') return resolve(class_text());
    if (c == '^' || c == '$') {
      ++pos_;
      return {""};
    }
    if (c == '.') {
      ++pos_;
      return resolve(".");
    }
    if (c == '\\') return escape();
    if (c == '*' || c == '+' || c == '?') {
      malformed_ = true;  // a repetition of nothing: Go rejects it
      return {};
    }
    const size_t n = std::min(utf8_length(static_cast<unsigned char>(c)), p_.size() - pos_);
    std::string literal(p_.substr(pos_, n));
    pos_ += n;
    return {literal};
  }

  Set group() {
    ++pos_;  // (
    if (at('?')) {
      // (?:...), (?P<name>...), (?<name>...), (?flags) and (?flags:...):
      // flags change how atoms match, never which strings exist for a
      // case-sensitive witness, so they are skipped.
      const size_t close = p_.find_first_of(":)>", pos_);
      if (close == std::string_view::npos) {
        malformed_ = true;
        return {};
      }
      pos_ = close + 1;
      if (p_[close] == ')') return {""};
    }
    Set inner = alternation();
    if (!at(')')) {
      malformed_ = true;
      return {};
    }
    ++pos_;
    return inner;
  }

  // The text of a bracketed class, [ to ], advancing past it.
  std::string_view class_text() {
    size_t i = pos_ + 1;
    if (i < p_.size() && p_[i] == '^') ++i;
    if (i < p_.size() && p_[i] == ']') ++i;  // a leading ] is a member
    while (i < p_.size() && p_[i] != ']') {
      if (p_.compare(i, 2, "[:") == 0) {
        const size_t end = p_.find(":]", i + 2);
        i = end == std::string_view::npos ? p_.size() : end + 2;
      } else if (p_[i] == '\\') {
        i = escape_end(i);
      } else {
        ++i;
      }
    }
    if (i >= p_.size()) {
      malformed_ = true;
      pos_ = p_.size();
      return {};
    }
    std::string_view text = p_.substr(pos_, i + 1 - pos_);
    pos_ = i + 1;
    return text;
  }

  // One past an escape starting at `i` (\x{...}, \p{...}, \xHH or \c).
  size_t escape_end(size_t i) const {
    if (i + 1 >= p_.size()) return p_.size();
    const char kind = p_[i + 1];
    if ((kind == 'x' || kind == 'p' || kind == 'P') && i + 2 < p_.size() && p_[i + 2] == '{') {
      const size_t close = p_.find('}', i + 3);
      return close == std::string_view::npos ? p_.size() : close + 1;
    }
    if (kind == 'x') return std::min(i + 4, p_.size());
    if (kind == 'p' || kind == 'P') return std::min(i + 3, p_.size());
    return i + 1 + std::min(utf8_length(static_cast<unsigned char>(kind)), p_.size() - i - 1);
  }

  Set escape() {
    if (pos_ + 1 >= p_.size()) {
      malformed_ = true;
      pos_ = p_.size();
      return {};
    }
    const char kind = p_[pos_ + 1];
    if (kind == 'Q') {  // \Q...\E: literal text
      const size_t end = p_.find("\\E", pos_ + 2);
      std::string literal(p_.substr(
          pos_ + 2, end == std::string_view::npos ? std::string_view::npos : end - pos_ - 2));
      pos_ = end == std::string_view::npos ? p_.size() : end + 2;
      return {literal};
    }
    if (kind == 'A' || kind == 'z' || kind == 'b' || kind == 'B') {
      pos_ += 2;
      return {""};
    }
    const size_t end = escape_end(pos_);
    std::string_view text = p_.substr(pos_, end - pos_);
    pos_ = end;
    return resolve(text);
  }

  // Applies the repetition operators after an atom.
  Set repeated(Set item) {
    while (!malformed_ && pos_ < p_.size()) {
      size_t min = 0;
      const char c = p_[pos_];
      if (c == '*' || c == '?') {
        ++pos_;
      } else if (c == '+') {
        min = 1;
        ++pos_;
      } else if (c == '{') {
        // {n}, {n,} or {n,m}; anything else is a literal brace (as in Go).
        size_t i = pos_ + 1;
        size_t n = 0;
        size_t digits = 0;
        while (i < p_.size() && p_[i] >= '0' && p_[i] <= '9' && digits < 5) {
          n = n * 10 + static_cast<size_t>(p_[i] - '0');
          ++i;
          ++digits;
        }
        if (!digits) break;
        if (i < p_.size() && p_[i] == ',') {
          ++i;
          while (i < p_.size() && p_[i] >= '0' && p_[i] <= '9') ++i;
        }
        if (i >= p_.size() || p_[i] != '}') break;
        pos_ = i + 1;
        min = n;
      } else {
        break;
      }
      if (at('?')) ++pos_;  // lazy: the same strings
      Set out;
      if (min == 0) out.push_back("");
      for (const std::string& s : item) {
        std::string r;
        for (size_t k = 0; k < std::max<size_t>(min, 1) && r.size() <= kMaxWitnessBytes; ++k)
          r += s;
        add_capped(out, r);
      }
      item = std::move(out);
    }
    return item;
  }

  // One character the atom `text` matches, found by the real matcher.
  Set resolve(std::string_view text) {
    if (malformed_) return {};
    auto cached = resolved_.find(std::string(text));
    if (cached != resolved_.end()) return cached->second;
    Set found;
    auto compiled = Pattern::compile("^(?:" + std::string(text) + ")$", {}, {.jit = false});
    if (auto* atom = std::get_if<Pattern>(&compiled)) {
      std::string candidates(kPreferred);
      for (char c = 0x21; c < 0x7f; ++c) candidates += c;
      for (char c : candidates) {
        const std::string one(1, c);
        if (atom->search(one) == MatchResult::Match) {
          found.push_back(one);
          break;
        }
      }
    }
    resolved_.emplace(std::string(text), found);
    return found;
  }

  std::string_view p_;
  size_t limit_;
  size_t pos_ = 0;
  bool malformed_ = false;
  std::map<std::string, Set> resolved_;
};

}  // namespace

std::vector<std::string> pattern_witnesses(std::string_view go_pattern, size_t limit) {
  return WitnessBuilder(go_pattern, limit).build();
}

}  // namespace aim
