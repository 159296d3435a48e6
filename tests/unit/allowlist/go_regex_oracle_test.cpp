// Differential test: the product's own aim::Pattern (translate_go_regex, then
// PCRE2 with exactly the options, limits and subject conversion the check
// uses) against Go's own regexp package, on a corpus of patterns x subjects,
// once with PCRE2's JIT and once in its interpreter (the systemd unit's
// MemoryDenyWriteExecute leaves only the interpreter).
// The oracle is tests/support/go_regex_oracle.go, built beforehand; its path
// comes from the AIM_GO_ORACLE compile definition or environment variable.
// Without an oracle (no Go toolchain) it skips saying why (fails under CI).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "allowlist/go_regex.h"
#include "allowlist/pattern.h"
#include "require.h"

#ifndef AIM_GO_ORACLE
#define AIM_GO_ORACLE ""
#endif

namespace aim {
namespace {

// A Go interpreted string literal for arbitrary bytes (strconv.Unquote reads it).
std::string go_quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out + "\"";
}

// One corpus pattern as the product compiles it. Our verdicts are written the
// way the oracle prints Go's: "E" (rejected), "1" or "0"; besides those, "P..."
// when PCRE2 refused a translation and "L" when a match limit was hit: both
// are bugs here (but see kExponential).
struct Ours {
  std::optional<Pattern> pattern;
  std::string verdict_if_error;
};

Ours compile_ours(const std::string& go, bool jit) {
  Ours o;
  auto compiled = Pattern::compile(go, {"oracle corpus", 0}, PatternOptions{.jit = jit});
  if (auto* error = std::get_if<Pattern::CompileError>(&compiled)) {
    // The translator's refusals are Go's; PCRE2 refusing a translation is not.
    if (std::holds_alternative<GoRegexError>(translate_go_regex(go)))
      o.verdict_if_error = "E";
    else
      o.verdict_if_error = "P(" + error->reason + ")";
    return o;
  }
  o.pattern.emplace(std::move(std::get<Pattern>(compiled)));
  return o;
}

std::string match_ours(const Ours& o, const std::string& subject) {
  if (!o.pattern) return o.verdict_if_error;
  switch (o.pattern->search(subject)) {
    case MatchResult::Match:
      return "1";
    case MatchResult::NoMatch:
      return "0";
    case MatchResult::LimitHit:
      break;
  }
  return "L";
}

// For messages: what the pattern becomes in PCRE2 syntax.
std::string pcre_of(const std::string& go) {
  auto t = translate_go_regex(go);
  return std::holds_alternative<std::string>(t) ? std::get<std::string>(t) : "(rejected)";
}

// The corpus is data, laid out by theme.
// clang-format off
const std::vector<std::string> kPatterns = {
    // upstream allowlists (note the trailing space after \S+)
    "^-N .*", "^-P .*", "^-A (KUBE-FIREWALL) .*", "^-A .* -j (KUBE-FIREWALL)", "^-A IP-MASQ-AGENT",
    "^.*--comment.*cilium:", "^.*--comment.*AKS managed: added by AgentBaker", "^-A CILIUM_\\S+ ",
    "-A SWIFT -s", "-A FORWARD -d 168.63.129.16/32 -p tcp -m tcp --dport 80 -j DROP",
    "^-A (PREROUTING|OUTPUT) -d 169\\.254\\.10\\.(10|11)\\/32 -p (tcp|udp) -m comment --comment "
    "\"localdns: skip conntrack\" -m (tcp|udp) --dport 53 -j NOTRACK$",
    // anchors, newlines, flags m s
    "a$", "a\\z", "(?m)a$", "^a", "(?m)^b", "^$", "(?m)^$", "(?m)^", "(?m)$", "(?m)^\\z",
    "(?m:^a$)|x", "a.b", "(?s)a.b", "(?s:.)", "(?-s).", "[^\\n]", "^(?:a|b)$", "\\A\\z", "\\Aa",
    "(?m)\\Ab", "(?m)a\\z", "a$\\n?", "(?m)a$\\n",
    // whitespace classes and \v
    "\\s", "\\S", "a\\sb", "[\\s]", "[\\S]", "[^\\s]", "[^\\S]", "\\v", "[\\v]", "x\\s*y",
    "[[:space:]]", "^\\S+$",
    // escapes
    "\\101", "\\0", "\\00", "\\12", "\\08", "\\400", "\\1234", "\\x41", "\\x{263a}", "\\x7",
    "\\x{110000}", "\\x{}", "\\x{0041}", "\\xg1", "\\8", "\\1", "(a)\\1", "\\a", "\\f", "\\t",
    "\\Q.*\\E", "\\Q[a]", "\\Qa\\E*", "a\\Q\\E*", "\\E", "\\Z", "\\h", "\\H", "\\C", "\\K", "\\e",
    "\\G", "\\R", "\\X", "\\N", "\\V", "\\cA", "\\o{101}", "\\g1", "\\k<n>", "\\-", "\\_", "\\ ",
    "\\\\", "\\é", "\\x{D800}", "[\\x{D7FF}-\\x{E000}]", "[^\\x{D800}]", "\\x{fffd}",
    // classes
    "[]a]", "[^]a]", "[a-]", "[-a]", "[a-b-c]", "[--/]", "[[:alpha:]]+", "[[:^digit:]]",
    "[[:word:]]", "[[:foo:]]", "[[:alpha:]", "[[.a.]]", "[[=a=]]", "[[:]", "[a-\\d]", "[\\d-z]",
    "[\\w-]", "[\\b]", "[\\Qa\\E]", "[\\x00-\\x{10FFFF}]", "[\\p{Lu}]", "[a", "[]", "[^]", "[\\]]",
    "[\\[]", "[&&a]", "[z-a]", "[a-\\]]", "[\\pL-z]", "[^\\pL\\d]", "[\\P{L}a]", "[:alpha:]",
    "[\\1]", "[\\0]", "[\\n-\\r]",
    // Unicode classes
    "\\pL", "\\p{Greek}", "\\PL+", "\\pN", "\\p{Latin}", "\\p{^Greek}", "\\P{^Greek}", "\\p{Foo}",
    "\\p{greek}", "\\p{L&}", "\\p{Cn}", "\\p{LC}", "\\pC", "\\PC", "[\\pC]", "[\\PC]", "\\p{Any}",
    "\\P{Any}", "\\p{Zs}", "\\p{Inherited}", "\\p{Common}", "\\p{Lt}", "\\p", "\\p{", "\\pé",
    ".", "^.$", "^..$", "^[^a]$",
    // case folding
    "(?i)abc", "(?i)ǅ", "(?i)k", "(?i)s", "(?i)[k]", "(?i)[^k]", "(?i)[a-z]", "(?i)\\w",
    "(?i)\\W", "(?i)[\\W]", "(?i)[^\\w]", "(?i)[[:upper:]]", "(?i)[[:^lower:]]", "(?i)[[:ascii:]]",
    "(?i)\\pL", "(?i)\\PL", "(?i)\\p{Greek}", "(?i)\\P{Greek}", "(?i)\\pM", "(?i)\\p{Lt}",
    "(?i)\\p{Common}", "(?i)\\p{Inherited}", "(?i)µ", "(?i)K", "(?i)\\x{212A}", "(?i)ß",
    "(?i)\\x{1E9E}", "(?i)Ω", "(?i:K)k", "a(?i)b", "(a(?i)b|c)", "(?i)KUBE",
    // word boundaries
    "\\bfoo\\b", "\\Bfoo", "\\b", "\\B", "\\w+", "\\d", "\\W", "\\b\\w+\\b$", "é\\b",
    // repetition
    "a{2}", "a{2,}", "a{,2}", "a{1001}", "a{1000}", "a{2,1}", "a{01}", "a{0}", "a{0,0}b", "x*?y",
    "x**", "x*+", "a++", "a?+", "a{2}+", "a*??", "a{2}{3}", "a{2}*", "a{2}?", "a??", "*a", "a|*",
    "(*FAIL)", "(*UTF)a", "{2}", "a{", "a{x}", "a{1,2", "(a{100}){10}", "(a{100}){11}",
    "((a{10}){10}){10}", "((a{10}){10}){11}", "(a{2}){0}", "(a*){1000}", "a{99999999999}",
    "a(?i)*", "a*(?i)*", "a*(?i)", "^*", "$+", "\\b*", "(?i)*", "(|a)*", "(a|)+$", "^(a|a)*$",
    "(?U)a+", "(?U)a+?", "(x+x+)+y",
    // groups and flags
    "(?=a)", "(?!a)", "(?<=a)b", "(?<!a)b", "(?>a)", "(?#c)", "(?|a)", "(?R)", "(?1)", "(?-1)",
    "(?+1)", "(?&n)", "(?P>n)", "(?(1)a)", "(?C1)", "(?'n'a)", "(?P<n>a)", "(?P<n>a)(?P<n>b)",
    "(?P<1>a)", "(?P<n!>a)", "(?P<>a)", "(?P<n", "(?P=n)", "(?i:A)b", "(?im-s:a.b)", "(?-i)a",
    "(?i-)a", "(?-)a", "(?i-i)a", "(?i--s)a", "(?)", "(?:)", "(?x)a", "(?n)a", "(?^)a", "(?i)",
    "(?", "(?i", "a|", "|a", "()", "(a", "a)", "\\", "a\\", "(?i)KUBE", "(?s).*", "(((a)))",
    "((?i))a",
};

std::vector<std::string> subjects() {
  std::vector<std::string> s = {
      "", "a", "A", "ab", "aB", "a\nb", "a\n", "\na", "\nb", "\n", "aa", "aaa", "aaaaaaaaaaaaaaaaaaaaaaaaab",
      "b", "c", "C", "xy", "xxy", "x\ty", "x\x0by", "x\fy", "x\ry", "a b", "a\x0b", "\x0b", "\t",
      " ", "\x01", std::string("\0", 1), "\x08", "\x1b",
      // invalid UTF-8 (Go reads each bad byte as U+FFFD)
      "\xff", "a\xff" "b", "\xe2\x82", "\xed\xa0\x80", "\xc0\xaf", "\xef\xbf\xbd",
      // Unicode
      "\xe2\x98\xba", "\xe2\x84\xaa" /* KELVIN SIGN */, "\xc5\xbf" /* LONG S */,
      "\xc7\x85" /* Dz */, "\xc7\x86", "\xc7\x84", "\xce\xb1\xce\xb2", "\xc2\xb5" /* MICRO */,
      "\xce\xbc", "\xce\x9c", "\xcd\x85" /* U+0345 */, "\xcd\x82" /* U+0342, scx Greek */,
      "\xe1\xbe\xbe", "\xce\xb9", "\xc3\x9f" /* sharp s */, "\xe1\xba\x9e", "\xe2\x84\xa6" /* OHM */,
      "\xcf\x89", "\xcd\xb8" /* unassigned U+0378 */, "\xee\x80\x80" /* private use */,
      "\xc3\xa9", "\xe2\x80\x83" /* EM SPACE */, "\xc2\xa0", "\xe2\x80\xa8", "\xc2\x85",
      "K", "k", "S", "s", "\xc3\xa9t\xc3\xa9",
      // punctuation and syntax-looking text
      "[a]", "]", "-", "_", "{", "a{", "a{,2}", "a{x}", "a{01}", ".*", "\\", "/", "&", ":",
      "foo bar", "foobar", "xfoo", "KUBE", "kube", "123", "A", "a.b", "axb", "a\nb\n",
      // rule lines
      "-N KUBE-SERVICES", "-P INPUT ACCEPT", "-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -j DROP",
      "-A INPUT -j KUBE-FIREWALL", "-A IP-MASQ-AGENT -d 10.0.0.0/8 -j RETURN",
      "-A CILIUM_FORWARD -o cilium_host -m comment --comment \"cilium: any->cluster on cilium_host "
      "forward accept\" -j ACCEPT",
      "-A CILIUM_POST_nat", "-A CILIUM_POST_nat\t-j X", "-A CILIUM_\xff -j X",
      "-A SWIFT -s 10.0.0.0/8 -j SNAT",
      "-A FORWARD -d 168.63.129.16/32 -p tcp -m tcp --dport 80 -j DROP",
      "-A FORWARD -d 168x63.129.16/32 -p tcp -m tcp --dport 80 -j DROP",
      "-A PREROUTING -d 169.254.10.10/32 -p udp -m comment --comment \"localdns: skip conntrack\" "
      "-m udp --dport 53 -j NOTRACK",
      "-A PREROUTING -d 169.254.10.10/32 -p udp -m comment --comment \"localdns: skip conntrack\" "
      "-m udp --dport 53 -j NOTRACK\n",
      "-A INPUT -m comment --comment \"a\n-A INPUT\" -j ACCEPT",
      "-A INPUT -m comment --comment \"\xff\xfe\" -j ACCEPT",
      "-A INPUT -m comment --comment \"AKS managed: added by AgentBaker\" -j ACCEPT",
  };
  return s;
}
// clang-format on

// Patterns whose PCRE2 search may hit the match limit on some subjects.
const std::set<std::string> kExponential = {"^(a|a)*$", "(x+x+)+y"};

// Go 1.19 (the Debian oracle) predates (?<name>re) (Go 1.22); we accept it.
bool needs_newer_go(const std::string& pattern) {
  for (size_t i = pattern.find("(?<"); i != std::string::npos; i = pattern.find("(?<", i + 1))
    if (i + 3 < pattern.size() && pattern[i + 3] != '=' && pattern[i + 3] != '!') return true;
  return false;
}

std::string oracle_path() {
  if (const char* env = std::getenv("AIM_GO_ORACLE"); env != nullptr && *env != '\0') return env;
  return AIM_GO_ORACLE;
}

// Runs the oracle on every pair; one answer line per pair. Empty, with a
// failure, when the oracle did not run to the end.
std::vector<std::string> ask_go(const std::string& oracle,
                                const std::vector<std::pair<std::string, std::string>>& pairs) {
  char input_path[] = "/tmp/aim-go-oracle-XXXXXX";
  const int fd = mkstemp(input_path);
  if (fd < 0) {
    ADD_FAILURE() << "mkstemp failed";
    return {};
  }
  close(fd);
  {
    std::ofstream in(input_path, std::ios::binary);
    for (const auto& [p, s] : pairs) in << go_quote(p) << '\t' << go_quote(s) << '\n';
  }
  FILE* pipe = popen(("'" + oracle + "' < " + input_path).c_str(), "r");
  std::string answers;
  int status = -1;
  if (pipe != nullptr) {
    char buf[4096];
    size_t n = 0;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) answers.append(buf, n);
    status = pclose(pipe);
  }
  unlink(input_path);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    ADD_FAILURE() << "the Go oracle " << oracle << " failed (wait status " << status << ")";
    return {};
  }
  std::vector<std::string> lines;
  std::istringstream in(answers);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Compares every pattern x subject, the patterns compiled with or without
// the JIT (the two ways the product matches).
void compare_with_go(bool jit) {
  const std::string oracle = oracle_path();
  if (oracle.empty() || access(oracle.c_str(), X_OK) != 0)
    AIM_REQUIRE_OR_SKIP(
        "Go regexp oracle not available (no Go toolchain when building; "
        "apt-get install golang-go and rebuild, or set AIM_GO_ORACLE to a binary "
        "built from tests/support/go_regex_oracle.go)");
  if (jit) {
    auto probe = Pattern::compile("a", {"probe", 0}, PatternOptions{.jit = true});
    if (!std::get<Pattern>(probe).jit())
      AIM_REQUIRE_OR_SKIP("PCRE2's JIT is not available here: the JIT path cannot be compared");
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  const auto subs = subjects();
  for (const auto& p : kPatterns)
    for (const auto& s : subs) pairs.emplace_back(p, s);
  const auto go = ask_go(oracle, pairs);
  ASSERT_EQ(go.size(), pairs.size()) << "the oracle answered too few lines";

  size_t compared = 0, disagreements = 0, index = 0, not_jitted = 0;
  for (const auto& p : kPatterns) {
    const Ours ours = compile_ours(p, jit);
    // Asked for the JIT and not given it, this pattern's JIT path goes untested.
    if (jit && ours.pattern && !ours.pattern->jit() && ++not_jitted <= 20)
      ADD_FAILURE() << "pattern " << ::testing::PrintToString(p) << " was not JIT-compiled";
    for (const auto& s : subs) {
      const std::string& go_line = go[index++];
      const std::string go_verdict = go_line.substr(0, go_line.find('\t'));
      if (needs_newer_go(p) && go_verdict == "E") continue;  // checked in the unit tests
      ++compared;
      const std::string we = match_ours(ours, s);
      if (we == go_verdict) continue;
      // A backtracking engine cannot promise Go's linear time: on these
      // PCRE2 may give up (the project counts that as "no match" and says so).
      if (we == "L" && go_verdict == "0" && kExponential.count(p) != 0) continue;
      if (++disagreements <= 100)
        ADD_FAILURE() << "pattern " << ::testing::PrintToString(p) << " (PCRE2 "
                      << ::testing::PrintToString(pcre_of(p)) << ") subject "
                      << ::testing::PrintToString(s) << ": Go says " << go_line << ", we say "
                      << we;
    }
  }
  ::testing::Test::RecordProperty("pairs_compared", static_cast<int>(compared));
  std::cout << "compared " << compared << " pattern x subject pairs with Go's regexp ("
            << (jit ? "JIT" : "interpreter") << "); " << pairs.size() - compared
            << " skipped (syntax newer than the oracle's Go)\n";
  EXPECT_EQ(not_jitted, 0u);
  EXPECT_EQ(disagreements, 0u) << "of " << compared << " pairs compared";
  // The corpus was compared, not lost on the way.
  EXPECT_GT(compared, pairs.size() / 2);
}

TEST(GoRegexOracle, JitCompiledPatternsAgreeWithGo) { compare_with_go(true); }

TEST(GoRegexOracle, InterpretedPatternsAgreeWithGo) { compare_with_go(false); }

}  // namespace
}  // namespace aim
