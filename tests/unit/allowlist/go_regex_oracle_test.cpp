// Differential test: our Go->PCRE2 translation and matching against Go's own
// regexp package, on a corpus of patterns x subjects. Skips (saying why) when
// the Go toolchain was not available at build time.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "allowlist/go_regex.h"
#include "allowlist/pattern.h"

namespace aim {
namespace {

std::string hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

const std::vector<std::string> kPatterns = {
    // upstream allowlists
    "^-N .*", "^-P .*", "^-A (KUBE-FIREWALL) .*", "^-A .* -j (KUBE-FIREWALL)",
    "^.*--comment.*cilium:", "^-A CILIUM_\\S+ ", "-A SWIFT -s",
    "-A FORWARD -d 168.63.129.16/32 -p tcp -m tcp --dport 80 -j DROP",
    "^-A (PREROUTING|OUTPUT) -d 169\\.254\\.10\\.(10|11)\\/32 -p (tcp|udp) -m comment --comment "
    "\"localdns: skip conntrack\" -m (tcp|udp) --dport 53 -j NOTRACK$",
    // anchors and newlines
    "a$", "a\\z", "(?m)a$", "^a", "(?m)^b", "^$", "a.b", "(?s)a.b", "[^\\n]", "^(?:a|b)$",
    // whitespace classes
    "\\s", "\\S", "a\\sb", "[\\s]", "[\\S]", "[^\\s]", "[^\\S]", "\\v", "[\\v]", "x\\s*y",
    // escapes
    "\\101", "\\0", "\\12", "\\08", "\\x41", "\\x{263a}", "\\x7", "\\x{110000}", "\\8", "\\1",
    "(a)\\1", "\\a", "\\f", "\\t", "\\Q.*\\E", "\\Q[a]", "\\E", "\\Z", "\\h", "\\C", "\\K", "\\e",
    "\\G", "\\R", "\\X", "\\N", "\\-", "\\_", "\\ ", "\\\\",
    // classes
    "[]a]", "[^]a]", "[a-]", "[-a]", "[[:alpha:]]+", "[[:^digit:]]", "[[:word:]]", "[[:foo:]]",
    "[[.a.]]", "[[=a=]]", "[a-\\d]", "[\\d-z]", "[\\b]", "[\\Qa\\E]", "[\\x00-\\x{10FFFF}]",
    "[\\p{Lu}]", "[a", "[]", "[^]", "[\\]]", "[\\[]", "[&&a]",
    // unicode
    "\\pL", "\\p{Greek}", "\\PL+", "\\pN", "\\p{Latin}", "\\p{^Greek}", "\\p{Foo}", ".", "^.$",
    "(?i)abc", "(?i)ǅ", "(?i)k", "(?i)s", "\\x{fffd}", "^\\x{fffd}+$",
    // word boundaries
    "\\bfoo\\b", "\\Bfoo", "\\b", "\\w+", "\\d", "\\W",
    // repetition
    "a{2}", "a{2,}", "a{,2}", "a{1001}", "a{1000}", "a{2,1}", "x*?y", "x**", "x*+", "a++", "a?+",
    "a{2}{3}", "a{2}*", "a{2}?", "a??", "*a", "a|*", "{2}", "a{", "a{x}", "a{1,2",
    // groups and flags
    "(?=a)", "(?!a)", "(?<=a)b", "(?<!a)b", "(?>a)", "(?#c)", "(?|a)", "(?R)", "(?1)", "(?(1)a)",
    "(?C1)", "(*FAIL)", "(?P<n>a)", "(?P<n>a)(?P<n>b)", "(?P=n)", "(?i:A)b", "(?U)a+", "(?U)a+?",
    "(?im-s:a.b)", "(?-i)a", "(?i-)a", "(?)", "(?x)a", "(?i)", "a|", "|a", "()", "(a", "a)", "\\",
    "a\\", "(?i)KUBE", "(?s).*",
};

const std::vector<std::string> kSubjects = {
    "",
    "a",
    "A",
    "ab",
    "a\nb",
    "a\n",
    "\na",
    "\nb",
    "aa",
    "aaa",
    "b",
    "xy",
    "xxy",
    "x\ty",
    "x\x0by",
    "x\fy",
    "x\ry",
    "a b",
    "a\x0b",
    "\x0b",
    "\t",
    " ",
    "\x01",
    std::string("\0", 1),
    "\xff",
    "a\xff" "b",
    "\xe2\x82",
    "\xef\xbf\xbd",
    "\xe2\x98\xba",
    "\xe2\x84\xaa",  // KELVIN SIGN
    "\xc5\xbf",      // LONG S
    "\xc7\x85",      // Dz digraph
    "\xc7\x86",
    "\xc7\x84",
    "\xce\xb1\xce\xb2",
    "K",
    "S",
    "[a]",
    "]",
    "-",
    "_",
    "{",
    "a{",
    "a{,2}",
    "a{x}",
    ".*",
    "\\",
    "foo bar",
    "foobar",
    "KUBE",
    "kube",
    "123",
    "A",
    "a.b",
    "axb",
    "-N KUBE-SERVICES",
    "-P INPUT ACCEPT",
    "-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -j DROP",
    "-A INPUT -j KUBE-FIREWALL",
    "-A CILIUM_FORWARD -o cilium_host -m comment --comment \"cilium: any->cluster on cilium_host "
    "forward accept\" -j ACCEPT",
    "-A CILIUM_POST_nat",
    "-A SWIFT -s 10.0.0.0/8 -j SNAT",
    "-A FORWARD -d 168.63.129.16/32 -p tcp -m tcp --dport 80 -j DROP",
    "-A FORWARD -d 168x63.129.16/32 -p tcp -m tcp --dport 80 -j DROP",
    "-A PREROUTING -d 169.254.10.10/32 -p udp -m comment --comment \"localdns: skip conntrack\" -m "
    "udp --dport 53 -j NOTRACK",
    "-A PREROUTING -d 169.254.10.10/32 -p udp -m comment --comment \"localdns: skip conntrack\" -m "
    "udp --dport 53 -j NOTRACK\n",
    "-A INPUT -m comment --comment \"a\n-A INPUT\" -j ACCEPT",
    "-A INPUT -m comment --comment \"\xff\xfe\" -j ACCEPT",
};

// What we decide for one pair: "E" (rejected), "1", "0" or "L" (limit).
std::string ours(const std::string& pattern, const std::string& subject) {
  auto compiled = Pattern::compile(pattern, {"corpus", 1});
  if (std::holds_alternative<Pattern::CompileError>(compiled)) return "E";
  std::string buffer;
  switch (std::get<Pattern>(compiled).search(as_go_text(subject, buffer))) {
    case MatchResult::Match:
      return "1";
    case MatchResult::NoMatch:
      return "0";
    case MatchResult::LimitHit:
      break;
  }
  return "L";
}

TEST(GoRegexOracle, AgreesWithGoOnEveryPatternAndSubject) {
  const std::string oracle = AIM_GO_ORACLE;
  if (oracle.empty() || access(oracle.c_str(), X_OK) != 0)
    GTEST_SKIP() << "the Go oracle was not built (no Go toolchain at build time: "
                    "apt-get install golang-go, then rebuild)";
  char input_path[] = "/tmp/aim-oracle-XXXXXX";
  const int fd = mkstemp(input_path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream in(input_path);
    for (const auto& p : kPatterns)
      for (const auto& s : kSubjects) in << hex(p) << '\t' << hex(s) << '\n';
  }
  FILE* pipe = popen((oracle + " < " + input_path).c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string answers;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) answers.append(buf, n);
  ASSERT_EQ(pclose(pipe), 0);
  unlink(input_path);

  std::istringstream lines(answers);
  size_t compared = 0, disagreements = 0;
  for (const auto& p : kPatterns) {
    for (const auto& s : kSubjects) {
      std::string go;
      ASSERT_TRUE(std::getline(lines, go)) << "oracle gave too few answers";
      const std::string we = ours(p, s);
      ++compared;
      if (we != go && ++disagreements <= 150)
        ADD_FAILURE() << "pattern " << ::testing::PrintToString(p) << " subject "
                      << ::testing::PrintToString(s) << ": Go says " << go << ", we say " << we;
    }
  }
  EXPECT_EQ(disagreements, 0u) << "of " << compared << " pairs";
  EXPECT_EQ(compared, kPatterns.size() * kSubjects.size());
}

}  // namespace
}  // namespace aim
