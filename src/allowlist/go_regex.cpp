#include "allowlist/go_regex.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "util/utf8.h"

// How this works: the Go pattern is parsed with Go's regexp/syntax rules
// (Perl flags, as regexp.Compile uses) and re-emitted token by token as PCRE2
// text whose meaning under our compile options is the same. Constructs that
// mean the same in both are copied; the rest are rewritten into explicit
// forms that do not depend on PCRE2 options or on PCRE2's reading of
// ambiguous syntax. Captures are irrelevant for MatchString, so every group
// becomes (?:...).

namespace aim {
namespace {

constexpr int kMaxRepeat = 1000;  // Go's limit on {n,m} counts (and their nested product)

// ---------------------------------------------------------------- UTF-8

bool is_ascii_alnum(uint32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_octal(char c) { return c >= '0' && c <= '7'; }
int hex_value(uint32_t c) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<int>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<int>(c - 'A' + 10);
  return -1;
}

std::string hex_escape(uint32_t cp) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string digits;
  do {
    digits.insert(digits.begin(), kDigits[cp & 0xF]);
    cp >>= 4;
  } while (cp != 0);
  return "\\x{" + digits + "}";
}

// One literal character as PCRE2 text that means exactly that character
// (inside a class when `in_class`), whatever the surrounding syntax.
std::string pcre_char(uint32_t cp, bool in_class) {
  // Punctuation PCRE2 never treats specially outside a class (no extended
  // mode is emitted). In a class every punctuation character is escaped:
  // PCRE2 reads [: [. [= - ^ ] \ there.
  constexpr std::string_view kPlain = " !\"%&',/:;<=>@_`~-";
  if (is_ascii_alnum(cp) || cp == ' ' ||
      (!in_class && cp < 0x80 && kPlain.find(static_cast<char>(cp)) != kPlain.npos))
    return std::string(1, static_cast<char>(cp));
  switch (cp) {
    case '\t':
      return "\\t";
    case '\n':
      return "\\n";
    case '\f':
      return "\\f";
    case '\r':
      return "\\r";
    default:
      break;
  }
  // PCRE2 reads a backslash before any ASCII punctuation as that literal.
  if (cp > 0x20 && cp < 0x7F) return std::string{'\\', static_cast<char>(cp)};
  return hex_escape(cp);
}

// ------------------------------------------------------- rune range sets

using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;

Ranges normalized(Ranges r) {
  std::sort(r.begin(), r.end());
  Ranges out;
  for (const auto& [lo, hi] : r) {
    if (!out.empty() && lo <= out.back().second + 1)
      out.back().second = std::max(out.back().second, hi);
    else
      out.emplace_back(lo, hi);
  }
  return out;
}

Ranges complement(const Ranges& sorted) {
  Ranges out;
  uint32_t next = 0;
  for (const auto& [lo, hi] : sorted) {
    if (lo > next) out.emplace_back(next, lo - 1);
    next = hi + 1;
  }
  if (next <= kMaxRune) out.emplace_back(next, kMaxRune);
  return out;
}

// Case-fold closure of an ASCII set as Go computes it under (?i): each
// letter's other case, plus the two non-ASCII members of ASCII fold orbits
// (k K U+212A KELVIN SIGN, s S U+017F LONG S). A closed set stays the same
// under PCRE2's own caseless matching, and so does its complement.
Ranges ascii_fold_closure(const Ranges& set) {
  Ranges out = set;
  bool has_k = false, has_s = false;
  for (const auto& [lo, hi] : set) {
    for (uint32_t c = lo; c <= std::min<uint32_t>(hi, 0x7F); ++c) {
      if (c >= 'a' && c <= 'z') out.emplace_back(c - 32, c - 32);
      if (c >= 'A' && c <= 'Z') out.emplace_back(c + 32, c + 32);
      has_k = has_k || c == 'k' || c == 'K';
      has_s = has_s || c == 's' || c == 'S';
    }
  }
  if (has_k) out.emplace_back(0x212A, 0x212A);
  if (has_s) out.emplace_back(0x17F, 0x17F);
  return normalized(std::move(out));
}

// Class members for `r`. Surrogates are left out: PCRE2 rejects them in UTF
// mode, and Go never matches them (decoding yields U+FFFD instead).
std::string member_text(const Ranges& r) {
  std::string out;
  for (auto [lo, hi] : r) {
    if (lo <= kSurrogateLast && hi >= kSurrogateFirst) {
      if (lo < kSurrogateFirst) out += member_text({{lo, kSurrogateFirst - 1}});
      if (hi > kSurrogateLast) out += member_text({{kSurrogateLast + 1, hi}});
      continue;
    }
    out += pcre_char(lo, true);
    if (hi == lo) continue;
    if (hi > lo + 1) out += '-';
    out += pcre_char(hi, true);
  }
  return out;
}

// Go's ASCII-only Perl and POSIX groups (PCRE2's differ: \s has \v, and under
// (?i) Go folds \w and [[:upper:]] etc. while PCRE2 leaves escapes alone), so
// they are always emitted as explicit ranges.
struct AsciiGroup {
  std::string_view name;
  Ranges ranges;
};

const std::vector<AsciiGroup>& perl_groups() {
  static const std::vector<AsciiGroup> groups = {
      {"d", {{'0', '9'}}},
      {"s", {{'\t', '\n'}, {'\f', '\r'}, {' ', ' '}}},
      {"w", {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}},
  };
  return groups;
}

const std::vector<AsciiGroup>& posix_groups() {
  static const std::vector<AsciiGroup> groups = {
      {"alnum", {{'0', '9'}, {'A', 'Z'}, {'a', 'z'}}},
      {"alpha", {{'A', 'Z'}, {'a', 'z'}}},
      {"ascii", {{0, 0x7F}}},
      {"blank", {{'\t', '\t'}, {' ', ' '}}},
      {"cntrl", {{0, 0x1F}, {0x7F, 0x7F}}},
      {"digit", {{'0', '9'}}},
      {"graph", {{'!', '~'}}},
      {"lower", {{'a', 'z'}}},
      {"print", {{' ', '~'}}},
      {"punct", {{'!', '/'}, {':', '@'}, {'[', '`'}, {'{', '~'}}},
      {"space", {{'\t', '\r'}, {' ', ' '}}},
      {"upper", {{'A', 'Z'}}},
      {"word", {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}},
      {"xdigit", {{'0', '9'}, {'A', 'F'}, {'a', 'f'}}},
  };
  return groups;
}

// The exact set Go matches for an ASCII group, as class members.
std::string ascii_group_members(const Ranges& ranges, bool negated, bool fold) {
  Ranges set = fold ? ascii_fold_closure(ranges) : normalized(ranges);
  return member_text(negated ? complement(set) : set);
}

// ------------------------------------------------------ Unicode classes

// General categories Go's regexp accepts in \p{...} (Go has no Cn or LC).
constexpr std::array<std::string_view, 36> kCategories = {
    "C",  "Cc", "Cf", "Co", "Cs", "L",  "Ll", "Lm", "Lo", "Lt", "Lu", "M",
    "Mc", "Me", "Mn", "N",  "Nd", "Nl", "No", "P",  "Pc", "Pd", "Pe", "Pf",
    "Pi", "Po", "Ps", "S",  "Sc", "Sk", "Sm", "So", "Z",  "Zl", "Zp", "Zs"};

// Scripts Go accepts (Unicode 13 as in Go 1.19, plus the Unicode 14 scripts
// that newer Go and PCRE2 10.42 both know).
constexpr std::array<std::string_view, 161> kScripts = {"Adlam",
                                                        "Ahom",
                                                        "Anatolian_Hieroglyphs",
                                                        "Arabic",
                                                        "Armenian",
                                                        "Avestan",
                                                        "Balinese",
                                                        "Bamum",
                                                        "Bassa_Vah",
                                                        "Batak",
                                                        "Bengali",
                                                        "Bhaiksuki",
                                                        "Bopomofo",
                                                        "Brahmi",
                                                        "Braille",
                                                        "Buginese",
                                                        "Buhid",
                                                        "Canadian_Aboriginal",
                                                        "Carian",
                                                        "Caucasian_Albanian",
                                                        "Chakma",
                                                        "Cham",
                                                        "Cherokee",
                                                        "Chorasmian",
                                                        "Common",
                                                        "Coptic",
                                                        "Cuneiform",
                                                        "Cypriot",
                                                        "Cypro_Minoan",
                                                        "Cyrillic",
                                                        "Deseret",
                                                        "Devanagari",
                                                        "Dives_Akuru",
                                                        "Dogra",
                                                        "Duployan",
                                                        "Egyptian_Hieroglyphs",
                                                        "Elbasan",
                                                        "Elymaic",
                                                        "Ethiopic",
                                                        "Georgian",
                                                        "Glagolitic",
                                                        "Gothic",
                                                        "Grantha",
                                                        "Greek",
                                                        "Gujarati",
                                                        "Gunjala_Gondi",
                                                        "Gurmukhi",
                                                        "Han",
                                                        "Hangul",
                                                        "Hanifi_Rohingya",
                                                        "Hanunoo",
                                                        "Hatran",
                                                        "Hebrew",
                                                        "Hiragana",
                                                        "Imperial_Aramaic",
                                                        "Inherited",
                                                        "Inscriptional_Pahlavi",
                                                        "Inscriptional_Parthian",
                                                        "Javanese",
                                                        "Kaithi",
                                                        "Kannada",
                                                        "Katakana",
                                                        "Kayah_Li",
                                                        "Kharoshthi",
                                                        "Khitan_Small_Script",
                                                        "Khmer",
                                                        "Khojki",
                                                        "Khudawadi",
                                                        "Lao",
                                                        "Latin",
                                                        "Lepcha",
                                                        "Limbu",
                                                        "Linear_A",
                                                        "Linear_B",
                                                        "Lisu",
                                                        "Lycian",
                                                        "Lydian",
                                                        "Mahajani",
                                                        "Makasar",
                                                        "Malayalam",
                                                        "Mandaic",
                                                        "Manichaean",
                                                        "Marchen",
                                                        "Masaram_Gondi",
                                                        "Medefaidrin",
                                                        "Meetei_Mayek",
                                                        "Mende_Kikakui",
                                                        "Meroitic_Cursive",
                                                        "Meroitic_Hieroglyphs",
                                                        "Miao",
                                                        "Modi",
                                                        "Mongolian",
                                                        "Mro",
                                                        "Multani",
                                                        "Myanmar",
                                                        "Nabataean",
                                                        "Nandinagari",
                                                        "New_Tai_Lue",
                                                        "Newa",
                                                        "Nko",
                                                        "Nushu",
                                                        "Nyiakeng_Puachue_Hmong",
                                                        "Ogham",
                                                        "Ol_Chiki",
                                                        "Old_Hungarian",
                                                        "Old_Italic",
                                                        "Old_North_Arabian",
                                                        "Old_Permic",
                                                        "Old_Persian",
                                                        "Old_Sogdian",
                                                        "Old_South_Arabian",
                                                        "Old_Turkic",
                                                        "Old_Uyghur",
                                                        "Oriya",
                                                        "Osage",
                                                        "Osmanya",
                                                        "Pahawh_Hmong",
                                                        "Palmyrene",
                                                        "Pau_Cin_Hau",
                                                        "Phags_Pa",
                                                        "Phoenician",
                                                        "Psalter_Pahlavi",
                                                        "Rejang",
                                                        "Runic",
                                                        "Samaritan",
                                                        "Saurashtra",
                                                        "Sharada",
                                                        "Shavian",
                                                        "Siddham",
                                                        "SignWriting",
                                                        "Sinhala",
                                                        "Sogdian",
                                                        "Sora_Sompeng",
                                                        "Soyombo",
                                                        "Sundanese",
                                                        "Syloti_Nagri",
                                                        "Syriac",
                                                        "Tagalog",
                                                        "Tagbanwa",
                                                        "Tai_Le",
                                                        "Tai_Tham",
                                                        "Tai_Viet",
                                                        "Takri",
                                                        "Tamil",
                                                        "Tangsa",
                                                        "Tangut",
                                                        "Telugu",
                                                        "Thaana",
                                                        "Thai",
                                                        "Tibetan",
                                                        "Tifinagh",
                                                        "Tirhuta",
                                                        "Toto",
                                                        "Ugaritic",
                                                        "Vai",
                                                        "Vithkuqi",
                                                        "Wancho",
                                                        "Warang_Citi",
                                                        "Yezidi",
                                                        "Yi",
                                                        "Zanabazar_Square"};

// Under (?i) Go adds to some classes the characters outside them whose case
// fold orbit reaches inside (Unicode data, as Go's unicode.FoldCategory and
// FoldScript); PCRE2 never case-folds \p. Lu and Ll gain hundreds of ranges
// and are refused instead.
struct FoldExtra {
  std::string_view name;
  Ranges extra;
};

const std::vector<FoldExtra>& fold_extras() {
  static const std::vector<FoldExtra> extras = {
      {"L", {{0x345, 0x345}}},
      {"M", {{0x399, 0x399}, {0x3B9, 0x3B9}, {0x1FBE, 0x1FBE}}},
      {"Mn", {{0x399, 0x399}, {0x3B9, 0x3B9}, {0x1FBE, 0x1FBE}}},
      {"Inherited", {{0x399, 0x399}, {0x3B9, 0x3B9}, {0x1FBE, 0x1FBE}}},
      {"Common", {{0x39C, 0x39C}, {0x3BC, 0x3BC}}},
      {"Greek", {{0xB5, 0xB5}, {0x345, 0x345}}},
      {"Lt",
       {{0x1C4, 0x1C4},
        {0x1C6, 0x1C7},
        {0x1C9, 0x1CA},
        {0x1CC, 0x1CC},
        {0x1F1, 0x1F1},
        {0x1F3, 0x1F3},
        {0x1F80, 0x1F87},
        {0x1F90, 0x1F97},
        {0x1FA0, 0x1FA7},
        {0x1FB3, 0x1FB3},
        {0x1FC3, 0x1FC3},
        {0x1FF3, 0x1FF3}}},
  };
  return extras;
}

bool fold_too_large(std::string_view name) { return name == "Lu" || name == "Ll"; }

const Ranges* fold_extra(std::string_view name) {
  for (const auto& f : fold_extras())
    if (f.name == name) return &f.extra;
  return nullptr;
}

template <size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// PCRE2 text for the positive class `name` as class members.
std::string property_members(std::string_view name) {
  if (name == "Any") return "\\p{Any}";
  // Go's C is Cc|Cf|Co|Cs; PCRE2's C also has Cn (unassigned).
  if (name == "C") return "\\p{Cc}\\p{Cf}\\p{Co}\\p{Cs}";
  if (contains(kCategories, name)) return "\\p{" + std::string(name) + "}";
  // \p{Greek} in PCRE2 10.40+ means Script_Extensions; Go means Script.
  return "\\p{sc:" + std::string(name) + "}";
}

// PCRE2 class members for everything outside `name` (no case folding).
std::string negated_property_members(std::string_view name) {
  if (name == "Any") return "\\P{Any}";
  // Categories partition the code points, so "not C" is all others plus Cn.
  if (name == "C") return "\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}\\p{Z}\\p{Cn}";
  if (contains(kCategories, name)) return "\\P{" + std::string(name) + "}";
  return "\\P{sc:" + std::string(name) + "}";
}

// ---------------------------------------------------------- translator

struct Flags {
  bool fold = false;       // i
  bool multiline = false;  // m: ^ $ at line boundaries
  bool dot_nl = false;     // s
  bool ungreedy = false;   // U
};

// What a class member parse produced, for the caller to emit.
struct ClassText {
  std::string members;
  bool any = false;  // false: the item matches nothing (only surrogates)
};

class Translator {
 public:
  explicit Translator(std::string_view pattern) : p_(pattern) { frames_.push_back(Frame{}); }

  std::variant<std::string, GoRegexError> run() {
    if (auto bad = first_invalid_utf8())
      return GoRegexError{*bad, "invalid UTF-8 in pattern (Go: invalid UTF-8)"};
    while (pos_ < p_.size() && !error_) step();
    if (!error_ && frames_.size() > 1)
      fail(frames_.back().open_at, "missing closing ): unbalanced parenthesis");
    if (error_) return *error_;
    return std::move(out_);
  }

 private:
  // The last thing a repetition operator could apply to (Go's stack top).
  struct Item {
    size_t out_start = 0;  // where its PCRE2 text starts in out_
    bool atom = true;      // PCRE2 can quantify it as it stands
    long need = 0;         // Go's nested repeat budget it uses (see repeat())
  };
  struct Frame {
    Flags saved;  // flags to restore at ')'
    size_t out_start = 0;
    size_t open_at = 0;  // pattern offset of '('
    long need = 0;       // largest need among finished items inside
  };

  // ------------------------------------------------------------ helpers

  std::optional<size_t> first_invalid_utf8() const {
    for (size_t i = 0; i < p_.size();) {
      const Decoded d = decode_utf8(p_, i);
      if (d.len == 0) return i;
      i += d.len;
    }
    return std::nullopt;
  }

  void fail(size_t at, std::string why) {
    if (!error_) error_ = GoRegexError{at, std::move(why)};
  }

  bool at(size_t i, char c) const { return i < p_.size() && p_[i] == c; }
  bool starts(size_t i, std::string_view s) const { return p_.substr(i).starts_with(s); }

  // Flag changes are held back until the next token that is not a
  // repetition: Go applies `a(?i)*` to `a`, PCRE2 would reject it.
  void flush_pending() {
    out_ += pending_flags_;
    pending_flags_.clear();
  }

  void finish_item() {
    if (item_) frames_.back().need = std::max(frames_.back().need, item_->need);
    item_.reset();
  }

  // Emits `text` as a new item.
  void push_item(const std::string& text, bool atom, long need = 0) {
    flush_pending();
    finish_item();
    item_ = Item{out_.size(), atom, need};
    out_ += text;
    last_repeat_.clear();
  }

  // A literal rune from the pattern.
  void push_literal(uint32_t cp) {
    // Go accepts \x{D800}..\x{DFFF} but no input ever decodes to them.
    if (cp >= kSurrogateFirst && cp <= kSurrogateLast) return push_item("(?!)", false);
    push_item(pcre_char(cp, false), true);
  }

  // --------------------------------------------------------- main loop

  void step() {
    const char c = p_[pos_];
    switch (c) {
      case '(':
        return open_group();
      case ')':
        return close_group();
      case '|':
        flush_pending();
        finish_item();
        out_ += '|';
        ++pos_;
        last_repeat_.clear();
        return;
      case '*':
      case '+':
      case '?':
        return simple_repeat(c);
      case '{':
        return brace();
      case '[':
        return char_class();
      case '\\':
        return escape();
      case '^':
        ++pos_;
        // Go's (?m)^ also matches after a final newline; PCRE2's does not
        // (without PCRE2_ALT_CIRCUMFLEX). Without (?m), ^ is \A in both.
        return push_item(flags_.multiline ? "(?:\\A|(?<=\\n))" : "\\A", false);
      case '$':
        ++pos_;
        // Spelled out so the meaning does not rest on DOLLAR_ENDONLY and
        // PCRE2's multiline rules: Go's $ is \z, (?m)$ is before \n or at end.
        return push_item(flags_.multiline ? "(?=\\n|\\z)" : "\\z", false);
      case '.':
        ++pos_;
        // Newline is LF, so PCRE2's . excludes exactly \n like Go's, and the
        // (?s) in force is the same in both (we emit Go's s flags as they are).
        return push_item(".", true);
      default: {
        const Decoded d = decode_utf8(p_, pos_);
        pos_ += d.len;
        return push_literal(d.cp);
      }
    }
  }

  // ---------------------------------------------------------- repetition

  void simple_repeat(char op) {
    const size_t at_op = pos_;
    ++pos_;
    const int min = op == '+' ? 1 : 0;
    const int max = op == '?' ? 1 : -1;
    repeat(at_op, std::string(1, op), min, max, false);
  }

  void brace() {
    const size_t start = pos_;
    int min = 0, max = 0;
    const size_t end = parse_repeat_count(start, min, max);
    if (end == 0) {
      // Not a well-formed {n}, {n,} or {n,m} (e.g. {,2}, {01}, {x}): Go
      // reads a literal brace, PCRE2 10.43+ would read {,2} as a repeat.
      ++pos_;
      return push_literal('{');
    }
    if (min < 0 || min > kMaxRepeat || max > kMaxRepeat || (max >= 0 && min > max))
      return fail(start, "invalid repeat count " + std::string(p_.substr(start, end - start)) +
                             " (Go allows at most 1000, and min <= max)");
    pos_ = end;
    repeat(start, std::string(p_.substr(start, end - start)), min, max, true);
  }

  // Go's parseRepeat: returns the end offset, or 0 when the brace is literal.
  // min is -1 when a number is too large.
  size_t parse_repeat_count(size_t i, int& min, int& max) const {
    ++i;  // '{'
    if (!parse_int(i, min)) return 0;
    if (i >= p_.size()) return 0;
    if (p_[i] != ',') {
      max = min;
    } else {
      ++i;
      if (i >= p_.size()) return 0;
      if (p_[i] == '}') {
        max = -1;
      } else {
        if (!parse_int(i, max)) return 0;
        if (max < 0) min = -1;
      }
    }
    if (!at(i, '}')) return 0;
    return i + 1;
  }

  // Decimal without leading zeros; value -1 when it is absurdly large.
  bool parse_int(size_t& i, int& value) const {
    if (i >= p_.size() || !is_digit(p_[i])) return false;
    if (p_[i] == '0' && i + 1 < p_.size() && is_digit(p_[i + 1])) return false;
    value = 0;
    for (; i < p_.size() && is_digit(p_[i]); ++i) {
      if (value >= 100000000) value = -1;
      if (value >= 0) value = value * 10 + (p_[i] - '0');
    }
    return true;
  }

  // Applies a repetition operator (already consumed, `token` its text) to the
  // last item, in the order Go checks things.
  void repeat(size_t at_op, std::string token, int min, int max, bool counted) {
    bool lazy = false;
    if (at(pos_, '?')) {
      lazy = true;
      ++pos_;
      token += '?';
    }
    if (!last_repeat_.empty()) return fail(at_op, nested_repeat_reason(token));
    if (!item_) {
      std::string why = "missing argument to repetition operator " + token;
      if (at_op > 0 && p_[at_op - 1] == '(' && p_[at_op] == '*')
        why +=
            " (PCRE2 backtracking verbs and (*OPTION) settings are not supported by Go's regexp)";
      return fail(at_op, why);
    }
    const long need = repeat_need(item_->need, min, max, counted);
    if (counted && (min >= 2 || max >= 2) && need > kMaxRepeat)
      return fail(at_op, "invalid repeat count " + token.substr(0, token.size() - lazy) +
                             ": nested repeat counts multiply to more than 1000");
    // A repeated item, an assertion or a flag-separated repetition (Go's
    // a*(?i)* is (a*)*) must be grouped for PCRE2 to accept a quantifier.
    if (!item_->atom) {
      out_.insert(item_->out_start, "(?:");
      out_ += ')';
    }
    out_ += pcre_quantifier(min, max, counted, token[0]);
    // (?U) swaps greedy and lazy in Go; done here since we drop U.
    if (lazy != flags_.ungreedy) out_ += '?';
    item_->atom = false;
    item_->need = need;
    last_repeat_ = token;
  }

  static std::string pcre_quantifier(int min, int max, bool counted, char op) {
    if (!counted) return std::string(1, op);
    if (max == min) return "{" + std::to_string(min) + "}";
    if (max < 0) return "{" + std::to_string(min) + ",}";
    return "{" + std::to_string(min) + "," + std::to_string(max) + "}";
  }

  // Go refuses a counted repeat whose nested counted repeats would need more
  // than 1000 copies of the innermost item ((a{100}){11}); this is the
  // number of copies an item needs, combined bottom-up like Go's check.
  static long repeat_need(long inner, int min, int max, bool counted) {
    if (!counted) return inner;
    if (max == 0) return 0;  // x{0}: Go does not look inside
    const long m = max < 0 ? min : max;
    if (m == 0) return inner;
    return std::min<long>(std::max(m, inner * m), 1L << 30);
  }

  static std::string nested_repeat_reason(const std::string& token) {
    std::string why = "invalid nested repetition operator " + token;
    if (token == "+" || token == "+?")
      why += " (possessive quantifiers like a*+ are not supported by Go's regexp (RE2))";
    else
      why += " (Go's regexp (RE2) does not allow stacking repetition operators)";
    return why;
  }

  // ------------------------------------------------------------- groups

  void open_group() {
    const size_t start = pos_;
    if (!starts(pos_, "(?")) {
      ++pos_;
      return open_frame(start, "(?:", flags_);
    }
    if (named_group(start)) return;
    if (error_) return;
    flag_group(start);
  }

  void open_frame(size_t start, const std::string& text, Flags inner) {
    flush_pending();
    finish_item();
    frames_.push_back(Frame{flags_, out_.size(), start, 0});
    out_ += text;
    flags_ = inner;
    last_repeat_.clear();
  }

  void close_group() {
    if (frames_.size() == 1) return fail(pos_, "unexpected ): unbalanced parenthesis");
    ++pos_;
    pending_flags_.clear();  // flags set at the end of a group change nothing
    finish_item();
    const Frame frame = frames_.back();
    frames_.pop_back();
    out_ += ')';
    flags_ = frame.saved;
    item_ = Item{frame.out_start, true, frame.need};
    last_repeat_.clear();
  }

  // (?P<name>re), and (?<name>re) as Go 1.22+ accepts. Returns false if
  // the group is not a named one.
  bool named_group(size_t start) {
    size_t name_start = 0;
    if (starts(start, "(?P<")) {
      name_start = start + 4;
    } else if (starts(start, "(?<") && !starts(start, "(?<=") && !starts(start, "(?<!")) {
      name_start = start + 3;
    } else {
      return false;
    }
    const size_t close = p_.find('>', name_start);
    if (close == std::string_view::npos) {
      fail(start, "invalid named capture: missing > after the group name");
      return false;
    }
    const std::string_view name = p_.substr(name_start, close - name_start);
    const bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return c == '_' || is_ascii_alnum(static_cast<unsigned char>(c));
    });
    if (!valid) {
      fail(start, "invalid named capture " + std::string(p_.substr(start, close + 1 - start)) +
                      " (names are ASCII letters, digits and _)");
      return false;
    }
    pos_ = close + 1;
    // Names only matter to captures, which a match test never reads; PCRE2
    // would refuse some Go accepts (duplicates, leading digit, > 32 chars).
    open_frame(start, "(?:", flags_);
    return true;
  }

  // (?flags) or (?flags:re) with Go's flags i m s U, one optional '-'.
  void flag_group(size_t start) {
    Flags f = flags_;
    bool negate = false, saw_flag = false;
    std::string pcre;  // the i and s changes, which PCRE2 scopes as Go does
    size_t i = start + 2;
    for (; i < p_.size(); ++i) {
      const char c = p_[i];
      if (c == ':' || c == ')') break;
      if (c == '-' && !negate) {
        negate = true;
        saw_flag = false;
        pcre += '-';
        continue;
      }
      bool* flag = c == 'i'   ? &f.fold
                   : c == 'm' ? &f.multiline
                   : c == 's' ? &f.dot_nl
                   : c == 'U' ? &f.ungreedy
                              : nullptr;
      if (flag == nullptr) return fail(start, unsupported_group_reason(start, i));
      *flag = !negate;
      saw_flag = true;
      if (c == 'i' || c == 's') pcre += c;
    }
    if (i >= p_.size()) return fail(start, "missing closing ) after (?flags");
    if (negate && !saw_flag)
      return fail(start, "invalid or unsupported Perl syntax " +
                             std::string(p_.substr(start, i + 1 - start)) + " (no flag after -)");
    if (!pcre.empty() && pcre.back() == '-') pcre.pop_back();  // only m/U followed it
    pos_ = i + 1;
    if (p_[i] == ':') return open_frame(start, "(?" + pcre + ":", f);
    // (?flags) lasts to the end of the enclosing group in both languages.
    flags_ = f;
    if (!pcre.empty()) pending_flags_ += "(?" + pcre + ")";
    last_repeat_.clear();  // Go: a*(?i)* is (a*)*, not a nested repetition
  }

  std::string unsupported_group_reason(size_t start, size_t bad) const {
    const std::string_view rest = p_.substr(start + 2);
    const char* what = nullptr;
    if (rest.starts_with("="))
      what = "lookahead (?=";
    else if (rest.starts_with("!"))
      what = "negative lookahead (?!";
    else if (rest.starts_with("<="))
      what = "lookbehind (?<=";
    else if (rest.starts_with("<!"))
      what = "negative lookbehind (?<!";
    else if (rest.starts_with(">"))
      what = "atomic group (?>";
    else if (rest.starts_with("#"))
      what = "comment (?#";
    else if (rest.starts_with("|"))
      what = "branch reset (?|";
    else if (rest.starts_with("("))
      what = "conditional (?(";
    else if (rest.starts_with("C"))
      what = "callout (?C";
    else if (rest.starts_with("P="))
      what = "named backreference (?P=";
    else if (rest.starts_with("P>") || rest.starts_with("&"))
      what = "subroutine call (?P> / (?&";
    else if (rest.starts_with("'"))
      what = "named group (?'name' (Go needs (?P<name>)";
    else if (rest.starts_with("R") || (!rest.empty() && (is_digit(rest[0]) || rest[0] == '+')) ||
             (rest.size() > 1 && rest[0] == '-' && is_digit(rest[1])))
      what = "recursion or subroutine call (?R / (?1";
    if (what != nullptr) return std::string(what) + " is not supported by Go's regexp (RE2)";
    const Decoded d = decode_utf8(p_, bad);
    return "invalid or unsupported Perl syntax: flag '" + std::string(p_.substr(bad, d.len)) +
           "' (Go's regexp knows only the flags i, m, s and U)";
  }

  // ------------------------------------------------------------ escapes

  void escape() {
    const size_t start = pos_;
    if (pos_ + 1 >= p_.size()) return fail(pos_, "trailing backslash at end of expression");
    const char c = p_[pos_ + 1];
    switch (c) {
      case 'A':
        pos_ += 2;
        return push_item("\\A", false);
      case 'z':
        pos_ += 2;
        return push_item("\\z", false);
      case 'b':
      case 'B':
        pos_ += 2;
        // Without PCRE2_UCP, PCRE2's word characters are ASCII [0-9A-Za-z_]
        // like Go's, so \b and \B agree (U+FFFD from bad bytes is non-word).
        return push_item(c == 'b' ? "\\b" : "\\B", false);
      case 'C':
        return fail(start, "escape \\C (any single byte) is not supported by Go's regexp (RE2)");
      case 'Q':
        return quoted_literal();
      case 'p':
      case 'P': {
        std::string text;
        if (!property(false, text)) return;
        return push_item(text, true);
      }
      default:
        break;
    }
    if (const AsciiGroup* g = perl_group(c)) {
      pos_ += 2;
      // [^S] rather than S's complement: the same set (fold closure is closed
      // under PCRE2's caseless matching too), and readable.
      const bool negated = c >= 'A' && c <= 'Z';
      return push_item(
          (negated ? "[^" : "[") + ascii_group_members(g->ranges, false, flags_.fold) + "]", true);
    }
    if (auto cp = single_char_escape(false)) push_literal(*cp);
  }

  static const AsciiGroup* perl_group(char c) {
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    for (const auto& g : perl_groups())
      if (g.name.size() == 1 && g.name[0] == lower) return &g;
    return nullptr;
  }

  // \Q...\E (or to the end): every character literal, as separate items.
  void quoted_literal() {
    const size_t body = pos_ + 2;
    const size_t end = p_.find("\\E", body);
    const size_t stop = end == std::string_view::npos ? p_.size() : end;
    pos_ = end == std::string_view::npos ? p_.size() : end + 2;
    for (size_t i = body; i < stop;) {
      const Decoded d = decode_utf8(p_, i);
      i += d.len;
      push_literal(d.cp);
    }
    last_repeat_.clear();  // even an empty \Q\E ends a repetition run, as in Go
  }

  // Go's parseEscape: octal, \x, C escapes, escaped punctuation. pos_ is at
  // the backslash; on success it moves past the escape.
  std::optional<uint32_t> single_char_escape(bool in_class) {
    const size_t start = pos_;
    if (start + 1 >= p_.size()) {
      fail(start, "trailing backslash at end of expression");
      return std::nullopt;
    }
    const char c = p_[start + 1];
    if (c >= '1' && c <= '7' && !(start + 2 < p_.size() && is_octal(p_[start + 2])))
      return escape_error(start, "backreference \\" + std::string(1, c));
    if (is_octal(c)) return octal_escape();
    if (c == 'x') return hex_escape_value();
    switch (c) {
      case 'a':
        pos_ += 2;
        return '\a';
      case 'f':
        pos_ += 2;
        return '\f';
      case 't':
        pos_ += 2;
        return '\t';
      case 'n':
        pos_ += 2;
        return '\n';
      case 'r':
        pos_ += 2;
        return '\r';
      case 'v':
        pos_ += 2;
        return '\v';  // Go: U+000B; PCRE2 \v is a class
      default:
        break;
    }
    const auto uc = static_cast<unsigned char>(c);
    if (uc < 0x80 && !is_ascii_alnum(uc)) {
      pos_ += 2;
      return uc;
    }
    return escape_error(start, unknown_escape_name(c, in_class));
  }

  std::optional<uint32_t> escape_error(size_t at_escape, const std::string& what) {
    fail(at_escape, what + " is not supported by Go's regexp (RE2): invalid escape sequence");
    return std::nullopt;
  }

  // Go: \0 or \[1-7] followed by an octal digit; up to three digits in all.
  std::optional<uint32_t> octal_escape() {
    size_t i = pos_ + 1;
    uint32_t v = 0;
    for (int k = 0; k < 3 && i < p_.size() && is_octal(p_[i]); ++k, ++i) v = v * 8 + (p_[i] - '0');
    pos_ = i;
    return v;  // emitted as \x{..}: PCRE2 would read \1.. as backreferences
  }

  // \xHH (exactly two hex digits) or \x{H...} (at least one, <= 10FFFF).
  std::optional<uint32_t> hex_escape_value() {
    const size_t start = pos_;
    size_t i = pos_ + 2;
    uint32_t v = 0;
    const auto bad = [&] {
      return escape_error(start, "escape " + std::string(p_.substr(start, i - start)) +
                                     " (Go needs \\x and two hex digits or \\x{1-10FFFF})");
    };
    if (at(i, '{')) {
      ++i;
      const size_t digits = i;
      while (i < p_.size() && hex_value(static_cast<unsigned char>(p_[i])) >= 0) {
        v = v * 16 + static_cast<uint32_t>(hex_value(static_cast<unsigned char>(p_[i])));
        ++i;
        if (v > kMaxRune) return bad();
      }
      if (i == digits || !at(i, '}')) return bad();
      pos_ = i + 1;
      return v;
    }
    for (int k = 0; k < 2; ++k, ++i) {
      if (i >= p_.size() || hex_value(static_cast<unsigned char>(p_[i])) < 0) return bad();
      v = v * 16 + static_cast<uint32_t>(hex_value(static_cast<unsigned char>(p_[i])));
    }
    pos_ = i;
    return v;
  }

  static std::string unknown_escape_name(char c, bool in_class) {
    const std::string e = std::string("\\") + c;
    switch (c) {
      case '8':
      case '9':
        return "backreference " + e;
      case 'g':
      case 'k':
        return "backreference " + e;
      case 'K':
        return "match start reset \\K";
      case 'G':
        return "start-of-match anchor \\G";
      case 'Z':
        return "end anchor \\Z (use \\z or $)";
      case 'h':
      case 'H':
        return "horizontal space class " + e;
      case 'V':
        return "vertical space class \\V";
      case 'R':
        return "newline sequence \\R";
      case 'X':
        return "extended grapheme cluster \\X";
      case 'e':
        return "escape character \\e (use \\x1B)";
      case 'N':
        return "escape \\N";
      case 'c':
        return "control character escape \\c";
      case 'o':
        return "octal escape \\o{...}";
      case 'E':
        return "\\E without a preceding \\Q";
      case 'u':
      case 'U':
      case 'l':
      case 'L':
        return "case-changing escape " + e;
      case 'Q':
        return "\\Q...\\E inside a character class";
      case 'b':
        return in_class ? "backspace escape [\\b] (use \\x08)" : e;
      case 'A':
      case 'z':
      case 'B':
        return "assertion " + e + " inside a character class";
      case 'd':
      case 'D':
      case 's':
      case 'S':
      case 'w':
      case 'W':
      case 'p':
      case 'P':
        return "class " + e + " as a character range endpoint";
      default:
        break;
    }
    if (static_cast<unsigned char>(c) >= 0x80) return "escaped non-ASCII character";
    return "escape " + e;
  }

  // \pN, \p{Name}, \PN, \P{Name}, \p{^Name} at pos_. Sets `text` to class
  // members (in_class) or a complete PCRE2 item.
  bool property(bool in_class, std::string& text) {
    const size_t start = pos_;
    bool negated = p_[pos_ + 1] == 'P';
    size_t end = 0;
    std::string_view name;
    if (at(start + 2, '{')) {
      const size_t close = p_.find('}', start);
      if (close == std::string_view::npos)
        return fail(start, "invalid character class range: missing } after \\p{"), false;
      name = p_.substr(start + 3, close - start - 3);
      end = close + 1;
    } else {
      const size_t n = start + 2 < p_.size() ? decode_utf8(p_, start + 2).len : 0;
      name = p_.substr(start + 2, n);
      end = start + 2 + n;
    }
    const std::string seq(p_.substr(start, end - start));
    if (name.starts_with("^")) {
      negated = !negated;
      name.remove_prefix(1);
    }
    if (name != "Any" && !contains(kCategories, name) && !contains(kScripts, name))
      return fail(start, "invalid character class range " + seq +
                             ": not a Unicode category or script Go knows (names are "
                             "case-sensitive)"),
             false;
    pos_ = end;
    return property_text(start, seq, name, negated, in_class, text);
  }

  bool property_text(size_t start, const std::string& seq, std::string_view name, bool negated,
                     bool in_class, std::string& text) {
    const Ranges* extra = flags_.fold ? fold_extra(name) : nullptr;
    if (flags_.fold && fold_too_large(name))
      return fail(start, seq +
                             " under (?i) cannot be translated faithfully (Go folds its case, "
                             "PCRE2 does not)"),
             false;
    std::string members;
    if (!negated) {
      members = property_members(name) + (extra ? member_text(*extra) : "");
    } else if (extra == nullptr) {
      members = negated_property_members(name);
    } else if (in_class) {
      return fail(start, seq +
                             " under (?i) inside a character class cannot be translated "
                             "faithfully (Go folds its case, PCRE2 does not)"),
             false;
    } else {
      text = "[^" + property_members(name) + member_text(*extra) + "]";
      return true;
    }
    // A single \p{..} stands alone; several members need a class.
    const bool single = members.find('\\', 1) == std::string::npos;
    text = in_class || single ? members : "[" + members + "]";
    return true;
  }

  // ------------------------------------------------------------ classes

  // Go's parseClass. Every member is re-emitted in a form PCRE2 cannot read
  // differently: ']' first and '[' are literals in Go, '-' after a class
  // escape or range is literal in Go, POSIX [. [= are not special in Go.
  void char_class() {
    const size_t start = pos_;
    ++pos_;
    bool negated = false;
    if (at(pos_, '^')) {
      negated = true;
      ++pos_;
    }
    std::string members;
    for (bool first = true; first || !at(pos_, ']'); first = false) {
      if (pos_ >= p_.size()) return fail(start, "missing closing ] of character class");
      if (!class_member(members)) return;
    }
    ++pos_;
    if (members.empty())  // only surrogates: matches nothing (or anything if negated)
      return push_item(negated ? "(?s:.)" : "(?!)", negated);
    push_item((negated ? "[^" : "[") + members + "]", true);
  }

  // One member at pos_, appended to `members`. False on error.
  bool class_member(std::string& members) {
    if (starts(pos_, "[:")) {
      bool found = false;
      if (!posix_class(members, found)) return false;
      if (found) return true;
    }
    if (at(pos_, '\\') && pos_ + 1 < p_.size()) {
      const char e = p_[pos_ + 1];
      if (e == 'p' || e == 'P') {
        std::string text;
        if (!property(true, text)) return false;
        members += text;
        return true;
      }
      if (const AsciiGroup* g = perl_group(e)) {
        pos_ += 2;
        members += ascii_group_members(g->ranges, e >= 'A' && e <= 'Z', flags_.fold);
        return true;
      }
    }
    return class_range(members);
  }

  // [:name:] / [:^name:]. Like Go, the name runs to the next ":]" anywhere in
  // the rest of the pattern, and if there is none the '[' is a literal.
  bool posix_class(std::string& members, bool& found) {
    const size_t close = p_.find(":]", pos_ + 2);
    if (close == std::string_view::npos) return true;
    std::string_view name = p_.substr(pos_ + 2, close - pos_ - 2);
    const bool negated = name.starts_with("^");
    if (negated) name.remove_prefix(1);
    for (const auto& g : posix_groups()) {
      if (g.name != name) continue;
      members += ascii_group_members(g.ranges, negated, flags_.fold);
      pos_ = close + 2;
      found = true;
      return true;
    }
    fail(pos_, "invalid character class range " + std::string(p_.substr(pos_, close + 2 - pos_)) +
                   ": unknown POSIX class");
    return false;
  }

  std::optional<uint32_t> class_char() {
    if (pos_ >= p_.size()) return std::nullopt;
    if (p_[pos_] == '\\') return single_char_escape(true);
    const Decoded d = decode_utf8(p_, pos_);
    pos_ += d.len;
    return d.cp;
  }

  // A single character or lo-hi range.
  bool class_range(std::string& members) {
    const size_t start = pos_;
    const auto lo = class_char();
    if (!lo) {
      if (!error_) fail(start, "missing closing ] of character class");
      return false;
    }
    uint32_t hi = *lo;
    if (at(pos_, '-') && pos_ + 1 < p_.size() && p_[pos_ + 1] != ']') {
      ++pos_;
      const auto h = class_char();
      if (!h) {
        if (!error_) fail(start, "missing closing ] of character class");
        return false;
      }
      hi = *h;
      if (hi < *lo) {
        fail(start, "invalid character class range " + std::string(p_.substr(start, pos_ - start)) +
                        " (end before start)");
        return false;
      }
    }
    // PCRE2 folds literal members under (?i) with the same simple case
    // folding orbits Go uses.
    members += member_text({{*lo, hi}});
    return true;
  }

  std::string_view p_;
  size_t pos_ = 0;
  std::string out_;
  std::string pending_flags_;
  Flags flags_;
  std::vector<Frame> frames_;
  std::optional<Item> item_;
  std::string last_repeat_;  // the repetition token just read, if the last token was one
  std::optional<GoRegexError> error_;
};

}  // namespace

std::variant<std::string, GoRegexError> translate_go_regex(std::string_view go_pattern) {
  return Translator(go_pattern).run();
}

}  // namespace aim
