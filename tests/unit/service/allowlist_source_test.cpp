// The allowlist source of the service's checks: loaded once, again only when
// asked or when the directory changed.
#include "service/allowlist_source.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace aim {
namespace {

namespace fs = std::filesystem;

class AllowlistSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/aim-allowlist-source-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    write("filter", "^-A INPUT -j ACCEPT$\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  std::string dir_;
  Logger log_{-1, false};  // quiet
};

TEST_F(AllowlistSourceTest, LoadsFirstThenOnlyWhenChangedOrAsked) {
  AllowlistSource source(dir_, dir_ + "6", false, log_);
  EXPECT_TRUE(source.changed()) << "nothing loaded yet";
  AllowlistSource::Refresh r = source.refresh(false);
  EXPECT_TRUE(r.reloaded);
  EXPECT_EQ(source.ipv4().pattern_count(), 1u);
  EXPECT_FALSE(source.changed());
  EXPECT_FALSE(source.refresh(false).reloaded) << "unchanged: not read again";

  write("global", "KUBE-\n");
  EXPECT_TRUE(source.changed());
  EXPECT_TRUE(source.refresh(false).reloaded);
  EXPECT_EQ(source.ipv4().pattern_count(), 2u);

  EXPECT_TRUE(source.refresh(true).reloaded) << "a reload is asked for (SIGHUP)";
}

TEST_F(AllowlistSourceTest, CountsTheProblemsOfTheListsInUse) {
  write("nat", "(unclosed\n");
  AllowlistSource source(dir_, dir_ + "6", false, log_);
  EXPECT_GE(source.refresh(false).problems, 1u);
  write("nat", "fine\n");
  EXPECT_EQ(source.refresh(false).problems, 0u);
  EXPECT_EQ(source.refresh(false).problems, 0u) << "the same when nothing was read";
}

// An empty or missing directory: fail closed as before (no pattern, every
// rule unexpected), but a problem, counted and reported per family.
TEST_F(AllowlistSourceTest, AListWithoutPatternsIsAProblemPerFamily) {
  AllowlistSource source(dir_, dir_ + "/missing6", true, log_, Runtime::Pod);
  AllowlistSource::Refresh r = source.refresh(false);
  EXPECT_EQ(r.patterns, (std::vector<std::pair<std::string, size_t>>{{"ipv4", 1}, {"ipv6", 0}}));
  // The missing directory's own diagnostic, and the list without patterns.
  EXPECT_EQ(r.problems, 2u);
  EXPECT_EQ(source.refresh(false).patterns, r.patterns) << "the same when nothing was read";
  EXPECT_EQ(source.ipv6().pattern_count(), 0u);

  fs::remove(dir_ + "/filter");
  r = source.refresh(false);
  EXPECT_EQ(r.patterns[0], (std::pair<std::string, size_t>{"ipv4", 0}));
  EXPECT_EQ(r.problems, 3u) << "an empty directory is a problem too";

  AllowlistSource v4_only(dir_, dir_ + "/missing6", false, log_);
  r = v4_only.refresh(false);
  EXPECT_EQ(r.patterns, (std::vector<std::pair<std::string, size_t>>{{"ipv4", 0}}));
  EXPECT_EQ(r.problems, 1u) << "IPv6 not checked: its directory is nobody's problem";
}

TEST(AllowlistSourceMessage, NamesTheConfigMapInAPodAndTheOptionElsewhere) {
  const std::string pod = AllowlistSource::no_patterns_message(false, "/etc/config/", Runtime::Pod);
  EXPECT_NE(pod.find("no IPv4 allowlist patterns"), std::string::npos) << pod;
  EXPECT_NE(pod.find("/etc/config/"), std::string::npos) << pod;
  EXPECT_NE(pod.find("ConfigMap"), std::string::npos) << pod;
  EXPECT_NE(pod.find("allowed-iptables-patterns"), std::string::npos) << pod;
  EXPECT_NE(pod.find("labelled true"), std::string::npos) << pod;
  EXPECT_EQ(pod.find("--input"), std::string::npos) << pod;
  const std::string pod6 =
      AllowlistSource::no_patterns_message(true, "/etc/config6/", Runtime::Pod);
  EXPECT_NE(pod6.find("allowed-ip6tables-patterns"), std::string::npos) << pod6;
  for (Runtime runtime : {Runtime::Unit, Runtime::Manual}) {
    const std::string unit = AllowlistSource::no_patterns_message(true, "/x/ipv6", runtime);
    EXPECT_NE(unit.find("no IPv6 allowlist patterns"), std::string::npos) << unit;
    EXPECT_NE(unit.find("--input6"), std::string::npos) << unit;
    EXPECT_EQ(unit.find("ConfigMap"), std::string::npos) << unit;
  }
}

TEST(AllowlistSourceWatch, EachDirectoryAndItsParent) {
  EXPECT_EQ(AllowlistSource::watched_paths("/etc/config/", "/etc/config6/", false),
            (std::vector<std::string>{"/etc/config/", "/etc"}));
  EXPECT_EQ(AllowlistSource::watched_paths("/etc/config", "/etc/config6", true),
            (std::vector<std::string>{"/etc/config", "/etc", "/etc/config6", "/etc"}));
  EXPECT_EQ(AllowlistSource::watched_paths("config", "c6", false),
            (std::vector<std::string>{"config", "."}));
  EXPECT_EQ(AllowlistSource::watched_paths("/config", "c6", false),
            (std::vector<std::string>{"/config", "/"}));
}

}  // namespace
}  // namespace aim
