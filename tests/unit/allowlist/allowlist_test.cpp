#include "allowlist/allowlist.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "allowlist/lint.h"

namespace aim {
namespace {

using Files = std::vector<std::pair<std::string, std::string>>;

bool allows(const Allowlist& list, std::string_view table, std::string_view line) {
  for (const auto* ps : {&list.table_patterns(table), &list.global_patterns()})
    for (const Pattern& p : *ps)
      if (p.search(line) == MatchResult::Match) return true;
  return false;
}

TEST(SplitPatternLines, SkipsEmptyStripsCrKeepsTrailingSpace) {
  std::vector<Diagnostic> diags;
  auto lines = split_pattern_lines("a\r\n\n^-A CILIUM_\\S+ \r\nb", "f", diags);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].text, "a");
  EXPECT_EQ(lines[0].line, 1u);
  EXPECT_EQ(lines[1].text, "^-A CILIUM_\\S+ ");
  EXPECT_EQ(lines[1].line, 3u);
  EXPECT_EQ(lines[2].text, "b");
  EXPECT_EQ(lines[2].line, 4u);
  EXPECT_TRUE(diags.empty());
}

TEST(SplitPatternLines, WhitespaceOnlyLineIsAWarningNotAPattern) {
  std::vector<Diagnostic> diags;
  auto lines = split_pattern_lines("x\n    \n\t\n", "/etc/config/global", diags);
  ASSERT_EQ(lines.size(), 1u);
  ASSERT_EQ(diags.size(), 2u);
  EXPECT_EQ(diags[0].severity, Diagnostic::Severity::Warning);
  EXPECT_EQ(diags[0].to_string().rfind("/etc/config/global:2:1: warning: ", 0), 0u)
      << diags[0].to_string();
}

TEST(Allowlist, TableFileAppliesToItsTableGlobalToAll) {
  Allowlist list = Allowlist::from_files(
      "/d", {{"nat", "^-A POSTROUTING -j SWIFT$"}, {"global", "^-P .*"}, {"README", "^.*"}});
  EXPECT_TRUE(allows(list, "nat", "-A POSTROUTING -j SWIFT"));
  EXPECT_FALSE(allows(list, "filter", "-A POSTROUTING -j SWIFT")) << "nat must not leak";
  EXPECT_TRUE(allows(list, "filter", "-P INPUT ACCEPT"));
  EXPECT_TRUE(allows(list, "raw", "-P OUTPUT ACCEPT"));
  EXPECT_FALSE(allows(list, "filter", "-A INPUT -j ACCEPT")) << "unknown files are not allowlists";
  EXPECT_EQ(list.pattern_count(), 2u);
}

TEST(Allowlist, InvalidPatternIsReportedWithPositionAndSkipped) {
  Allowlist list =
      Allowlist::from_files("/etc/config", {{"filter", "^-A INPUT\n-A (FORWARD\n^-N .*"}});
  ASSERT_EQ(list.diagnostics().size(), 1u);
  const Diagnostic& d = list.diagnostics()[0];
  EXPECT_EQ(d.file, "/etc/config/filter");
  EXPECT_EQ(d.line, 2u);
  EXPECT_GT(d.column, 0u);
  EXPECT_NE(d.message.find("-A (FORWARD"), std::string::npos) << d.message;
  EXPECT_TRUE(list.has_errors());
  EXPECT_TRUE(allows(list, "filter", "-A INPUT -j DROP"));
  EXPECT_TRUE(allows(list, "filter", "-N KUBE-X"));
  EXPECT_FALSE(allows(list, "filter", "-A FORWARD -j DROP"));
}

TEST(Allowlist, CatastrophicPatternsReturnPromptlyAsNoMatch) {
  Allowlist list = Allowlist::from_files("/d", {{"filter", "^(a|a)*$\n(x+x+)+y"}});
  ASSERT_EQ(list.table_patterns("filter").size(), 2u);
  const std::string a_line = std::string(4096, 'a') + "!";
  const std::string x_line(4096, 'x');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NE(list.table_patterns("filter")[0].search(a_line), MatchResult::Match);
  EXPECT_NE(list.table_patterns("filter")[1].search(x_line), MatchResult::Match);
  // Not a timing assertion on speed, a guard against hanging: generous.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/aim-allowlist-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }
  void write(const std::string& name, const std::string& contents) const {
    std::ofstream(path_ + "/" + name, std::ios::binary) << contents;
  }

 private:
  std::string path_;
};

TEST(AllowlistLoad, ReadsFilesFromADirectory) {
  TempDir dir;
  dir.write("global", "^-N .*\r\n^-P .*\r\n");
  dir.write("filter", "^-A INPUT -j KUBE-FIREWALL$\n");
  Allowlist list = Allowlist::load(dir.path());
  EXPECT_TRUE(list.diagnostics().empty());
  EXPECT_EQ(list.pattern_count(), 3u);
  EXPECT_TRUE(allows(list, "filter", "-A INPUT -j KUBE-FIREWALL"));
  EXPECT_TRUE(allows(list, "nat", "-N KUBE-SERVICES"));
}

TEST(AllowlistLoad, MissingDirectoryWarnsAndAllowsNothing) {
  Allowlist list = Allowlist::load("/nonexistent/aim-allowlists");
  ASSERT_EQ(list.diagnostics().size(), 1u);
  EXPECT_NE(list.diagnostics()[0].message.find("does not exist"), std::string::npos);
  EXPECT_EQ(list.pattern_count(), 0u);
}

TEST(AllowlistLoad, PathThatIsAFileIsNotADirectory) {
  TempDir dir;
  dir.write("x", "");
  Allowlist list = Allowlist::load(dir.path() + "/x");
  ASSERT_EQ(list.diagnostics().size(), 1u);
  EXPECT_NE(list.diagnostics()[0].message.find("not a directory"), std::string::npos);
}

TEST(AllowlistLoad, BinaryGarbageNeverCrashesAndNeverAllowsEverything) {
  TempDir dir;
  std::string garbage;
  unsigned seed = 12345;
  for (int i = 0; i < 20000; ++i) {
    seed = seed * 1103515245 + 12345;
    garbage += static_cast<char>((seed >> 16) & 0xff);
  }
  dir.write("filter", garbage);
  dir.write("global", std::string("\xff\xfe(\0\x80", 5) + "\n");
  Allowlist list = Allowlist::load(dir.path());
  EXPECT_FALSE(allows(list, "filter", "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT") &&
               allows(list, "filter", "-A OUTPUT -j DROP") &&
               allows(list, "filter", "-P INPUT DROP"));
  EXPECT_TRUE(list.has_errors());
}

TEST(AllowlistLoad, DirectoryInPlaceOfAFileIsAnError) {
  TempDir dir;
  mkdir((dir.path() + "/nat").c_str(), 0755);
  Allowlist list = Allowlist::load(dir.path());
  ASSERT_EQ(list.diagnostics().size(), 1u);
  EXPECT_NE(list.diagnostics()[0].message.find("not a regular file"), std::string::npos);
}

// Only a missing file means "no patterns" quietly: one that is there but
// cannot be read (here a symlink loop) is an error that names it.
TEST(AllowlistLoad, AFileThatCannotBeReadIsAnErrorNotAMissingOne) {
  TempDir dir;
  ASSERT_EQ(symlink("filter", (dir.path() + "/filter").c_str()), 0);
  Allowlist list = Allowlist::load(dir.path());
  ASSERT_EQ(list.diagnostics().size(), 1u);
  EXPECT_NE(list.diagnostics()[0].message.find("cannot read"), std::string::npos);
  EXPECT_TRUE(list.has_errors());
}

// A file too large to be an allowlist (a log, a device's worth of data) is
// refused before it is read.
TEST(AllowlistLoad, AFileLargerThanAnAllowlistIsAnError) {
  TempDir dir;
  dir.write("filter", std::string(1024 * 1024 + 1, '#'));
  Allowlist list = Allowlist::load(dir.path());
  ASSERT_EQ(list.diagnostics().size(), 1u);
  EXPECT_NE(list.diagnostics()[0].message.find("larger than 1 MiB"), std::string::npos);
}

// Issue 15: `validate` (and the service, and `check`) accepted a misnamed
// file silently; its patterns applied nowhere.
TEST(AllowlistLoad, AMisnamedFileIsAWarningNamingItAndTheKnownNames) {
  TempDir dir;
  dir.write("filter", "^-A INPUT -j KUBE-FIREWALL$\n");
  dir.write("fitler", "^-A INPUT -p tcp --dport 22 -j ACCEPT$\n");
  Allowlist list = Allowlist::load(dir.path());
  ASSERT_EQ(list.diagnostics().size(), 1u);
  const Diagnostic& d = list.diagnostics()[0];
  EXPECT_EQ(d.severity, Diagnostic::Severity::Warning);
  EXPECT_EQ(d.file, dir.path() + "/fitler");
  EXPECT_NE(d.message.find("did you mean filter?"), std::string::npos) << d.message;
  EXPECT_NE(d.message.find("global, nftables, nat, mangle, filter, raw, security"),
            std::string::npos)
      << d.message;
  // Its patterns are not applied anywhere.
  EXPECT_EQ(list.pattern_count(), 1u);
  EXPECT_FALSE(allows(list, "filter", "-A INPUT -p tcp --dport 22 -j ACCEPT"));
}

TEST(AllowlistLoad, ConfigMapEntriesPackageCopiesAndDirectoriesAreNotMisnamedFiles) {
  TempDir dir;
  // A ConfigMap volume: keys are symlinks into a hidden timestamped
  // directory, re-pointed through `..data`.
  mkdir((dir.path() + "/..2026_01_01_00_00_00.1").c_str(), 0755);
  dir.write("..2026_01_01_00_00_00.1/filter", "^-A INPUT -j KUBE-FIREWALL$\n");
  ASSERT_EQ(symlink("..2026_01_01_00_00_00.1", (dir.path() + "/..data").c_str()), 0);
  ASSERT_EQ(symlink("..data/filter", (dir.path() + "/filter").c_str()), 0);
  dir.write("nat.dpkg-dist", "x\n");
  dir.write("global.rpmnew", "x\n");
  dir.write("filter~", "x\n");
  dir.write(".filter.swp", "x\n");
  mkdir((dir.path() + "/subdir").c_str(), 0755);
  Allowlist list = Allowlist::load(dir.path());
  EXPECT_TRUE(list.diagnostics().empty()) << list.diagnostics()[0].to_string();
  EXPECT_EQ(list.pattern_count(), 1u);
}

TEST(AllowlistLoad, ManyMisnamedFilesAreReportedBoundedly) {
  TempDir dir;
  for (int i = 0; i < 25; ++i) dir.write("extra" + std::to_string(i), "x\n");
  Allowlist list = Allowlist::load(dir.path());
  ASSERT_EQ(list.diagnostics().size(), 11u);
  EXPECT_NE(list.diagnostics().back().message.find("15 more files"), std::string::npos);
}

TEST(LikelyAllowlistName, CatchesTyposCaseAndExtensionsNotUnrelatedNames) {
  EXPECT_EQ(likely_allowlist_name("fitler"), "filter");
  EXPECT_EQ(likely_allowlist_name("filtr"), "filter");
  EXPECT_EQ(likely_allowlist_name("Filter"), "filter");
  EXPECT_EQ(likely_allowlist_name("nat.txt"), "nat");
  EXPECT_EQ(likely_allowlist_name("globl"), "global");
  EXPECT_EQ(likely_allowlist_name("nftable"), "nftables");
  EXPECT_EQ(likely_allowlist_name("README"), "");
  EXPECT_EQ(likely_allowlist_name("kube-proxy"), "");
  EXPECT_EQ(likely_allowlist_name(std::string(1000, 'a')), "");
}

// Upstream's format has no comments: a line starting with '#' is a pattern,
// kept as one, and said to be one.
TEST(Lint, HashLineIsAPatternNotAComment) {
  const auto why = comment_lookalike_reason("# allow ssh");
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("is a pattern, not a comment"), std::string::npos) << *why;
  EXPECT_NE(why->find("--comment \"# allow ssh\""), std::string::npos) << *why;
  EXPECT_NE(why->find("delete the line"), std::string::npos) << *why;
  EXPECT_TRUE(comment_lookalike_reason("#").has_value());
  EXPECT_FALSE(comment_lookalike_reason("^-A INPUT .*#").has_value());
  EXPECT_FALSE(comment_lookalike_reason(" # indented").has_value());
  EXPECT_FALSE(comment_lookalike_reason("").has_value());
  // The meaning is upstream's: the line still loads and matches as a pattern.
  const auto list = Allowlist::from_files("/d", {{"filter", "# allow ssh\n"}});
  ASSERT_EQ(list.table_patterns("filter").size(), 1u);
  EXPECT_EQ(list.table_patterns("filter")[0].text(), "# allow ssh");
}

TEST(Lint, PortWithoutProtocolMatchCanNeverMatch) {
  EXPECT_TRUE(never_matching_reason("-A INPUT -p udp --dport 68 -j ACCEPT").has_value());
  EXPECT_FALSE(never_matching_reason("-A INPUT -p udp -m udp --dport 68 -j ACCEPT").has_value());
  EXPECT_FALSE(never_matching_reason("^-N .*").has_value());
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

// The generation keys the match cache: the same files give the same one (a
// SIGHUP with nothing changed keeps the cache), any change gives another.
TEST(AllowlistGeneration, IsADigestOfTheFiles) {
  const auto a = Allowlist::from_files("/d", {{"global", "^-N \n"}, {"nat", "x\n"}});
  const auto same = Allowlist::from_files("/other", {{"global", "^-N \n"}, {"nat", "x\n"}});
  EXPECT_EQ(a.generation(), same.generation());
  for (const auto& files : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"global", "^-N \n"}},
           {{"global", "^-N \n"}, {"nat", "y\n"}},
           {{"global", "^-N \n"}, {"filter", "x\n"}},
           {{"global", "^-N \nx\n"}},
           {{"global", "^-N \nx"}, {"nat", "\n"}}})
    EXPECT_NE(Allowlist::from_files("/d", files).generation(), a.generation());
}

}  // namespace
}  // namespace aim
