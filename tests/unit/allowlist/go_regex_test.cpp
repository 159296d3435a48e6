// translate_go_regex: what Go's regexp rejects, how constructs whose meaning
// differs are rewritten, and what the translations match through the
// product's own aim::Pattern, with the JIT and in PCRE2's interpreter.
#include "allowlist/go_regex.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "allowlist/pattern.h"

namespace aim {
namespace {

std::string translated(std::string_view go) {
  auto t = translate_go_regex(go);
  if (auto* e = std::get_if<GoRegexError>(&t))
    return "ERROR@" + std::to_string(e->offset) + ": " + e->reason;
  return std::get<std::string>(t);
}

// Expects rejection at `offset` with a reason containing `what`.
void expect_rejected(std::string_view go, size_t offset, std::string_view what) {
  SCOPED_TRACE(std::string(go));
  auto t = translate_go_regex(go);
  ASSERT_TRUE(std::holds_alternative<GoRegexError>(t))
      << "accepted as " << std::get<std::string>(t);
  const auto& e = std::get<GoRegexError>(t);
  EXPECT_EQ(e.offset, offset) << e.reason;
  EXPECT_NE(e.reason.find(what), std::string::npos) << e.reason;
}

// Compiles `go` as the product does, once with the JIT and once without;
// empty (with a failure) if refused.
std::vector<Pattern> compile(std::string_view go) {
  std::vector<Pattern> both;
  for (bool jit : {true, false}) {
    auto p = Pattern::compile(std::string(go), {"test", 0}, PatternOptions{.jit = jit});
    if (auto* e = std::get_if<Pattern::CompileError>(&p)) {
      ADD_FAILURE() << "refused " << go << " (as " << translated(go) << ") at column " << e->column
                    << ": " << e->reason;
      return {};
    }
    both.push_back(std::move(std::get<Pattern>(p)));
  }
  return both;
}

// Go's regexp.MustCompile(go).MatchString(subject), as the product computes
// it. Both matchers must give the answer, and neither may give up.
bool matches(std::string_view go, std::string_view subject) {
  const auto patterns = compile(go);
  if (patterns.empty()) return false;
  std::optional<MatchResult> first;
  for (const Pattern& p : patterns) {
    const MatchResult r = p.search(subject);
    EXPECT_NE(r, MatchResult::LimitHit) << go << " hit a match limit (JIT " << p.jit() << ")";
    if (first)
      EXPECT_EQ(r, *first) << go << ": the JIT and the interpreter disagree";
    else
      first = r;
  }
  return first == MatchResult::Match;
}

const char* const kCiliumLine =
    "-A CILIUM_FORWARD -o cilium_host -m comment --comment \"cilium: any->cluster on "
    "cilium_host forward accept\" -j ACCEPT";

// ------------------------------------------------------------ rejection

TEST(GoRegexTranslate, RejectsLookaroundAtomicAndOtherGroupsGoLacks) {
  expect_rejected("a(?=b)", 1, "lookahead (?=");
  expect_rejected("(?!b)", 0, "negative lookahead (?!");
  expect_rejected("x(?<=a)b", 1, "lookbehind (?<=");
  expect_rejected("(?<!a)b", 0, "negative lookbehind (?<!");
  expect_rejected("(?>a)", 0, "atomic group (?>");
  expect_rejected("a(?#note)", 1, "comment (?#");
  expect_rejected("(?|a)", 0, "branch reset (?|");
  expect_rejected("(?R)", 0, "recursion");
  expect_rejected("(a)(?1)", 3, "subroutine");
  expect_rejected("(?-1)", 0, "subroutine");
  expect_rejected("(?&n)", 0, "subroutine");
  expect_rejected("(?P>n)", 0, "subroutine");
  expect_rejected("(?P<n>a)(?P=n)", 8, "named backreference");
  expect_rejected("(?(1)a|b)", 0, "conditional (?(");
  expect_rejected("(?C1)a", 0, "callout (?C");
  expect_rejected("(?'n'a)", 0, "(?'name'");
  expect_rejected("(*FAIL)", 1, "backtracking verbs");
  expect_rejected("(*UTF)a", 1, "backtracking verbs");
}

TEST(GoRegexTranslate, RejectsBackreferencesAndEscapesGoLacks) {
  expect_rejected("(a)\\1", 3, "backreference \\1");
  expect_rejected("\\9", 0, "backreference \\9");
  expect_rejected("(a)\\g1", 3, "backreference \\g");
  expect_rejected("(?P<n>a)\\k<n>", 8, "backreference \\k");
  expect_rejected("a\\K", 1, "\\K");
  for (std::string_view e : {"\\Z", "\\h", "\\H", "\\R", "\\X", "\\e", "\\G", "\\N", "\\cA",
                             "\\o{101}", "\\V", "\\C", "\\E", "\\u", "\\L", "\\y", "\\é"})
    expect_rejected(e, 0, "not supported by Go's regexp");
  expect_rejected("[\\b]", 1, "backspace");
  expect_rejected("[\\Qa\\E]", 1, "\\Q...\\E inside a character class");
  expect_rejected("[\\A]", 1, "assertion");
  expect_rejected("\\x7", 0, "\\x");
  expect_rejected("\\xg1", 0, "\\x");
  expect_rejected("\\x{}", 0, "\\x");
  expect_rejected("\\x{110000}", 0, "\\x");
  expect_rejected("a\\", 1, "trailing backslash");
}

TEST(GoRegexTranslate, RejectsStackedAndPossessiveRepetition) {
  expect_rejected("a**", 2, "invalid nested repetition operator *");
  expect_rejected("a*+", 2, "possessive");
  expect_rejected("a++", 2, "possessive");
  expect_rejected("a?+", 2, "possessive");
  expect_rejected("a{2}+", 4, "possessive");
  expect_rejected("a{2}{3}", 4, "nested repetition");
  expect_rejected("a*??", 3, "nested repetition");
  expect_rejected("*a", 0, "missing argument to repetition operator");
  expect_rejected("a|*", 2, "missing argument");
  expect_rejected("(?i)*", 4, "missing argument");
  expect_rejected("(*)", 1, "missing argument");
}

TEST(GoRegexTranslate, RejectsRepeatCountsGoRejects) {
  expect_rejected("a{1001}", 1, "invalid repeat count {1001}");
  expect_rejected("a{2,1001}", 1, "invalid repeat count");
  expect_rejected("a{2,1}", 1, "invalid repeat count");
  expect_rejected("a{99999999999}", 1, "invalid repeat count");
  expect_rejected("(a{100}){11}", 8, "multiply to more than 1000");
  expect_rejected("((a{10}){10}){11}", 13, "multiply");
  EXPECT_EQ(translated("(a{100}){10}"), "(?:a{100}){10}");
  EXPECT_EQ(translated("a{1000}"), "a{1000}");
  EXPECT_EQ(translated("(a{2}){0}"), "(?:a{2}){0}");
}

TEST(GoRegexTranslate, RejectsBadFlagsGroupsAndClasses) {
  expect_rejected("(?x)a", 0, "flag 'x'");
  expect_rejected("a(?n:b)", 1, "flag 'n'");
  expect_rejected("(?^)a", 0, "flag '^'");
  expect_rejected("(?i-)a", 0, "no flag after -");
  expect_rejected("(?-)a", 0, "no flag after -");
  expect_rejected("(?i", 0, "missing closing )");
  expect_rejected("(?P<>a)", 0, "invalid named capture");
  expect_rejected("(?P<n!>a)", 0, "invalid named capture");
  expect_rejected("(?P<n", 0, "invalid named capture");
  expect_rejected("x(a", 1, "missing closing )");
  expect_rejected("a)", 1, "unexpected )");
  expect_rejected("ab[a", 2, "missing closing ]");
  expect_rejected("[]", 0, "missing closing ]");
  expect_rejected("[^]", 0, "missing closing ]");
  expect_rejected("[z-a]", 1, "invalid character class range");
  expect_rejected("[a-\\d]", 3, "range endpoint");
  expect_rejected("[[:foo:]]", 1, "unknown POSIX class");
  expect_rejected("\\p{Foo}", 0, "not a Unicode category or script");
  expect_rejected("\\p{greek}", 0, "case-sensitive");
  expect_rejected("\\p{L&}", 0, "not a Unicode category");
  expect_rejected("\\p{Cn}", 0, "not a Unicode category");
  expect_rejected("\\p{Greek", 0, "missing }");
  expect_rejected("\\p", 0, "invalid character class range");
}

TEST(GoRegexTranslate, RejectsInvalidUtf8AndUntranslatableFolding) {
  expect_rejected("ab\xff", 2, "invalid UTF-8");
  expect_rejected("a\xed\xa0\x80", 1, "invalid UTF-8");  // encoded surrogate
  expect_rejected("\xc0\xaf", 0, "invalid UTF-8");       // overlong
  expect_rejected("(?i)\\p{Lu}", 4, "cannot be translated faithfully");
  expect_rejected("(?i)\\P{Ll}", 4, "cannot be translated faithfully");
  expect_rejected("(?i)[\\PL]", 5, "cannot be translated faithfully");
}

TEST(GoRegexTranslate, AcceptsWhatGoAccepts) {
  // clang-format off
  for (std::string_view p :
       {"", "a|", "|a", "()", "(|)", "(?)", "(?:)", "(?i)", "(?i-i)a", "(?P<1>a)", "(?P<n>a)(?P<n>b)",
        "(?<name>a)", "a(?i)*", "^*", "$+", "\\b*", "a{,2}", "a{", "a{x}", "a{01}", "{", "}", "]",
        "[]a]", "[^]a]", "[a-]", "[-a]", "[a-b-c]", "[\\d-z]", "[[.a.]]", "[[:]", "\\Q", "\\Q\\E",
        "\\Qab", "\\_", "\\0", "\\08", "\\400", "\\x{10FFFF}", "\\x{D800}", "\\p{Any}", "\\pL",
        "\\p{^Greek}", "\\P{^Greek}", "\\p{Vithkuqi}", "^(a|a)*$", "(x+x+)+y"})
    EXPECT_TRUE(std::holds_alternative<std::string>(translate_go_regex(p))) << translated(p);
  // clang-format on
}

// ---------------------------------------------------------- translations

TEST(GoRegexTranslate, UpstreamPatternsTranslate) {
  EXPECT_EQ(translated("^-N .*"), "\\A-N .*");
  EXPECT_EQ(translated("^-A (KUBE-FIREWALL) .*"), "\\A-A (?:KUBE-FIREWALL) .*");
  EXPECT_EQ(translated("^.*--comment.*cilium:"), "\\A.*--comment.*cilium:");
  // The trailing space is part of the pattern.
  EXPECT_EQ(translated("^-A CILIUM_\\S+ "), "\\A-A CILIUM_[^\\t\\n\\f\\r ]+ ");
  EXPECT_EQ(translated("-A SWIFT -s"), "-A SWIFT -s");
  EXPECT_EQ(translated("(tcp|udp) --dport 53 -j NOTRACK$"), "(?:tcp|udp) --dport 53 -j NOTRACK\\z");
}

TEST(GoRegexTranslate, WhitespaceAndVerticalTab) {
  EXPECT_EQ(translated("\\s"), "[\\t\\n\\f\\r ]");  // PCRE2's \s also has \v
  EXPECT_EQ(translated("\\S"), "[^\\t\\n\\f\\r ]");
  EXPECT_EQ(translated("[\\s]"), "[\\t\\n\\f\\r ]");
  EXPECT_EQ(translated("[a\\S]"),
            "[a\\x{0}-\\x{8}\\x{b}\\x{e}-\\x{1f}\\!-\\x{d7ff}\\x{e000}-\\x{10ffff}]");
  EXPECT_EQ(translated("\\v"), "\\x{b}");  // PCRE2's \v is a class
  EXPECT_EQ(translated("[\\v]"), "[\\x{b}]");
}

TEST(GoRegexTranslate, AnchorsDependOnMultilineFlag) {
  EXPECT_EQ(translated("^a$"), "\\Aa\\z");
  EXPECT_EQ(translated("(?m)^a$"), "(?:\\A|(?<=\\n))a(?=\\n|\\z)");
  EXPECT_EQ(translated("(?m:^)^"), "(?:(?:\\A|(?<=\\n)))\\A");
  EXPECT_EQ(translated("\\Aa\\z"), "\\Aa\\z");
}

TEST(GoRegexTranslate, EscapesAndLiterals) {
  EXPECT_EQ(translated("\\101\\0\\12\\08"), "A\\x{0}\\n\\x{0}8");  // octal, never backreferences
  EXPECT_EQ(translated("\\x41\\x{263a}"), "A\\x{263a}");
  EXPECT_EQ(translated("\\Q.*[\\E+"), "\\.\\*\\[+");
  EXPECT_EQ(translated("\\Qa.b"), "a\\.b");     // to the end without \E
  EXPECT_EQ(translated("a{,2}"), "a\\{,2\\}");  // PCRE2 10.43+ reads {,2} as a repeat
  EXPECT_EQ(translated("a{01}"), "a\\{01\\}");
  EXPECT_EQ(translated("\\x{D800}"), "(?!)");  // Go accepts it, nothing decodes to it
}

TEST(GoRegexTranslate, FlagsAndGroups) {
  EXPECT_EQ(translated("(?i)a"), "(?i)a");
  EXPECT_EQ(translated("(?im-sU:a.b)"), "(?i-s:a.b)");  // m and U are handled here
  EXPECT_EQ(translated("(?U)a+b+?"), "a+?b+");
  EXPECT_EQ(translated("(?P<n>a)(?<m>b)(c)"), "(?:a)(?:b)(?:c)");
  EXPECT_EQ(translated("a(?i)*b"), "a*(?i)b");  // Go applies * to a
  EXPECT_EQ(translated("a*(?i)*"), "(?:a*)*");  // and this is (a*)*
  EXPECT_EQ(translated("^*\\b+"), "(?:\\A)*(?:\\b)+");
  EXPECT_EQ(translated("(a(?i))b"), "(?:a)b");  // flags end with their group
}

TEST(GoRegexTranslate, Classes) {
  EXPECT_EQ(translated("[]a]"), "[\\]a]");
  EXPECT_EQ(translated("[a-]"), "[a\\-]");
  EXPECT_EQ(translated("[\\d-z]"), "[0-9\\-z]");
  EXPECT_EQ(translated("[[.a.]]"), "[\\[\\.a\\.]\\]");
  EXPECT_EQ(translated("[:alpha:]"), "[\\:alpha\\:]");
  EXPECT_EQ(translated("[[:word:]]"), "[0-9A-Z\\_a-z]");
  EXPECT_EQ(translated("(?i)[[:upper:]]"), "(?i)[A-Za-z\\x{17f}\\x{212a}]");
  EXPECT_EQ(translated("(?i)\\w"), "(?i)[0-9A-Z\\_a-z\\x{17f}\\x{212a}]");
  EXPECT_EQ(translated("[\\x{D7FF}-\\x{E000}]"), "[\\x{d7ff}\\x{e000}]");
  EXPECT_EQ(translated("[\\x{D800}]"), "(?!)");
  EXPECT_EQ(translated("[^\\x{D800}]"), "(?s:.)");
}

TEST(GoRegexTranslate, UnicodeClasses) {
  EXPECT_EQ(translated("\\pL\\p{Lu}"), "\\p{L}\\p{Lu}");
  EXPECT_EQ(translated("\\p{Greek}"), "\\p{sc:Greek}");  // PCRE2 alone means Script_Extensions
  EXPECT_EQ(translated("\\p{^Greek}"), "\\P{sc:Greek}");
  EXPECT_EQ(translated("\\pC"), "[\\p{Cc}\\p{Cf}\\p{Co}\\p{Cs}]");  // Go's C has no Cn
  EXPECT_EQ(translated("[\\PC]"), "[\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}\\p{Z}\\p{Cn}]");
  EXPECT_EQ(translated("(?i)\\pL"), "(?i)[\\p{L}\\x{345}]");
  EXPECT_EQ(translated("(?i)\\PL"), "(?i)[^\\p{L}\\x{345}]");
}

TEST(GoRegexTranslate, EveryScriptAndCategoryGoKnowsCompiles) {
  // clang-format off
  for (std::string_view name :
       {"Adlam", "Anatolian_Hieroglyphs", "Canadian_Aboriginal", "Khitan_Small_Script", "Nko",
        "Nyiakeng_Puachue_Hmong", "Phags_Pa", "SignWriting", "Cypro_Minoan", "Old_Uyghur", "Toto",
        "Zanabazar_Square", "Yezidi", "Any", "C", "Cs", "Co", "Lt", "Zs", "Pi", "Pf"}) {
    const std::string p = "\\p{" + std::string(name) + "}[\\P{" + std::string(name) + "}]";
    EXPECT_FALSE(compile(p).empty()) << p;
  }
  // clang-format on
  for (std::string_view name : {"L", "M", "Mn", "Lt", "Greek", "Common", "Inherited", "Any", "N"})
    EXPECT_FALSE(
        compile("(?i)\\p{" + std::string(name) + "}[\\p{" + std::string(name) + "}]").empty());
}

// -------------------------------------------------------------- matching

TEST(GoRegexMatch, UpstreamAllowlistPatterns) {
  EXPECT_TRUE(matches("^.*--comment.*cilium:", kCiliumLine));
  EXPECT_TRUE(matches("^-A CILIUM_\\S+ ", kCiliumLine));
  EXPECT_FALSE(matches("^-A CILIUM_\\S+ ", "-A CILIUM_POST_nat"));  // needs the space
  EXPECT_TRUE(matches("^-A CILIUM_\\S+ ", "-A CILIUM_\x0b -j X"));  // \v is not Go space
  EXPECT_FALSE(matches("^-A CILIUM_\\S+ ", "-A CILIUM_\t-j X"));
  EXPECT_TRUE(matches("^-N .*", "-N KUBE-SERVICES"));
  EXPECT_FALSE(matches("^-N .*", "-A X -N"));
  EXPECT_TRUE(matches("^-A .* -j (KUBE-FIREWALL)", "-A INPUT -j KUBE-FIREWALL"));
  EXPECT_TRUE(matches("-A SWIFT -s", "-A SWIFT -s 10.0.0.0/8 -j SNAT"));
  const char* localdns =
      "^-A (PREROUTING|OUTPUT) -d 169\\.254\\.10\\.(10|11)\\/32 -p (tcp|udp) -m comment --comment "
      "\"localdns: skip conntrack\" -m (tcp|udp) --dport 53 -j NOTRACK$";
  const std::string line =
      "-A PREROUTING -d 169.254.10.10/32 -p udp -m comment --comment \"localdns: skip conntrack\" "
      "-m udp --dport 53 -j NOTRACK";
  EXPECT_TRUE(matches(localdns, line));
  EXPECT_FALSE(matches(localdns, line + "\n"));                        // Go's $ is the very end
  EXPECT_TRUE(matches("-d 168.63.129.16/32", "-d 168x63.129.16/32"));  // . is any char
}

TEST(GoRegexMatch, NewlinesAndAnchors) {
  EXPECT_FALSE(matches("a$", "a\n"));
  EXPECT_TRUE(matches("(?m)a$", "a\nb"));
  EXPECT_TRUE(matches("(?m)^$", "a\n"));  // Go: ^ after the final newline
  EXPECT_TRUE(matches("(?m)^b", "a\nb"));
  EXPECT_FALSE(matches("^b", "a\nb"));
  EXPECT_FALSE(matches("a.b", "a\nb"));
  EXPECT_TRUE(matches("(?s)a.b", "a\nb"));
  EXPECT_TRUE(matches("[^x]", "\n"));
  EXPECT_TRUE(matches("a\\sb", "a\nb"));
  EXPECT_FALSE(matches("a\\sb", "a\vb"));  // \v: a vertical tab, not Go space
  EXPECT_TRUE(matches("a\\vb", "a\vb"));
  EXPECT_FALSE(matches("a\\vb", "a\nb"));
}

TEST(GoRegexMatch, InvalidUtf8SubjectsMatchAsGoDecodesThem) {
  EXPECT_TRUE(matches("^.$", "\xff"));
  EXPECT_TRUE(matches("^..$", "\xe2\x82"));  // two bad bytes, two runes
  EXPECT_TRUE(matches("^a[^b]b$", std::string("a\xff") + "b"));
  EXPECT_TRUE(matches("\\x{FFFD}", "\xff"));
  EXPECT_FALSE(matches("\\w", "\xff"));
  EXPECT_TRUE(matches("^-A CILIUM_\\S+ ", "-A CILIUM_\xff -j X"));
}

TEST(GoRegexMatch, CaseFoldingFollowsGo) {
  EXPECT_TRUE(matches("(?i)k", "\xe2\x84\xaa"));  // KELVIN SIGN
  EXPECT_TRUE(matches("(?i)\\w", "\xc5\xbf"));    // LONG S folds to s
  EXPECT_FALSE(matches("\\w", "\xc5\xbf"));
  EXPECT_FALSE(matches("(?i)\\W", "\xe2\x84\xaa"));
  EXPECT_TRUE(matches("(?i)[[:upper:]]", "a"));
  EXPECT_TRUE(matches("(?i)\\pL", "\xcd\x85"));  // U+0345 folds into L
  EXPECT_FALSE(matches("\\pL", "\xcd\x85"));
  EXPECT_TRUE(matches("(?i:K)k", "kk"));
  EXPECT_FALSE(matches("(?i:K)k", "kK"));
}

TEST(GoRegexMatch, UnicodeClassesFollowGo) {
  EXPECT_FALSE(matches("\\p{Greek}", "\xcd\x82"));  // U+0342: Greek only by extension
  EXPECT_TRUE(matches("\\p{Greek}", "\xce\xb1"));
  EXPECT_FALSE(matches("\\pC", "\xcd\xb8"));  // unassigned U+0378 is not in Go's C
  EXPECT_TRUE(matches("[\\PC]", "\xcd\xb8"));
  EXPECT_TRUE(matches("\\pC", "\x01"));
  EXPECT_FALSE(matches("\\b", "\xc3\xa9"));  // ASCII word boundaries only
  EXPECT_TRUE(matches("\\bfoo\\b", "a foo."));
}

TEST(GoRegexMatch, RepetitionAndLiteralBraces) {
  EXPECT_TRUE(matches("a{,2}", "a{,2}"));
  EXPECT_FALSE(matches("a{,2}", "aa"));
  EXPECT_TRUE(matches("^a{2}$", "aa"));
  EXPECT_TRUE(matches("^a(?i)*$", "aaa"));
  EXPECT_TRUE(matches("^(?:a{2}){0}b$", "b"));
  EXPECT_TRUE(matches("x*?y", "xxy"));
  EXPECT_TRUE(matches("(a|)+$", "b"));
  EXPECT_TRUE(matches("a|", "zzz"));  // empty alternative matches anywhere
}

TEST(GoRegexMatch, CatastrophicPatternsStillTranslate) {
  ASSERT_FALSE(compile("^(a|a)*$").empty());
  EXPECT_TRUE(matches("^(a|a)*$", "aaaa"));
  ASSERT_FALSE(compile("(x+x+)+y").empty());
}

// ---------------------------------------------------------- as_go_text

TEST(GoRegexText, ReplacesEachInvalidByteWithReplacementCharacter) {
  std::string buffer;
  EXPECT_EQ(as_go_text("plain ascii text", buffer), "plain ascii text");
  EXPECT_EQ(as_go_text("\xc3\xa9", buffer), "\xc3\xa9");
  EXPECT_EQ(as_go_text(std::string("a\xff") + "b", buffer), std::string("a\xef\xbf\xbd") + "b");
  EXPECT_EQ(as_go_text("\xe2\x82", buffer), "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(as_go_text("\xed\xa0\x80", buffer), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

}  // namespace
}  // namespace aim
