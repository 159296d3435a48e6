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
