// The check thread's job: it reads with the service's readers, matches with
// the allowlists it keeps (loaded again when they change or on a reload),
// and a stop request ends it `unknown`, never `clean`.
#include "service/check_job.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace aim {
namespace {

namespace fs = std::filesystem;

// One legacy ipv4 filter table holding `rule`.
class OneRuleReader : public RuleReader {
 public:
  explicit OneRuleReader(std::string rule) : rule_(std::move(rule)) {}
  Backend backend() const override { return Backend::Legacy; }
  RuleSet read(std::optional<Family> family) override {
    ++reads;
    RuleSet set;
    set.family = family;
    set.backend = Backend::Legacy;
    Table table;
    table.name = "filter";
    Chain chain;
    chain.name = set.arena->add("INPUT");
    chain.header = set.arena->add("-P INPUT ACCEPT");
    chain.rules.push_back(set.arena->add(rule_));
    table.chains.push_back(chain);
    set.tables.push_back(std::move(table));
    return set;
  }
  void forget_kept() override { ++forgotten; }
  int reads = 0;
  int forgotten = 0;

 private:
  std::string rule_;
};

class CheckJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/aim-check-job-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    options_.input = dir;
    options_.input6 = std::string(dir) + "/none";
  }
  void TearDown() override { fs::remove_all(options_.input); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(options_.input + "/" + name) << text;
  }
  ServiceOptions options_;
  Logger log_{-1, false};  // quiet
  std::atomic<bool> stopping_{false};
  OneRuleReader reader_{"-A INPUT -s 10.0.0.1/32 -j DROP"};
};

TEST_F(CheckJobTest, ReadsAndMatchesWithTheAllowlistsItKeeps) {
  CheckJob job(options_, {&reader_}, log_, stopping_);
  CheckJobResult first = job.run(false, false);
  EXPECT_EQ(first.run.report.verdict, Verdict::Unexpected);
  EXPECT_TRUE(first.allowlists.reloaded) << "loaded by the first check";
  EXPECT_EQ(reader_.reads, 1);

  write("filter", "^-P INPUT ACCEPT$\n^-A INPUT -s 10\\.0\\.0\\.1/32 -j DROP$\n");
  EXPECT_TRUE(job.allowlists_changed());
  CheckJobResult second = job.run(false, false);
  EXPECT_TRUE(second.allowlists.reloaded) << "the directory changed";
  EXPECT_EQ(second.run.report.verdict, Verdict::Clean);
  EXPECT_FALSE(job.allowlists_changed());
  EXPECT_FALSE(job.run(false, false).allowlists.reloaded) << "unchanged: not read again";
  EXPECT_TRUE(job.run(true, false).allowlists.reloaded) << "a reload (SIGHUP) reads them again";
}

// A check that bounds drift (start, interval, reload) trusts nothing a
// reader kept; one for a rule change may.
TEST_F(CheckJobTest, AFullReadMakesEveryReaderForgetWhatItKept) {
  CheckJob job(options_, {&reader_}, log_, stopping_);
  job.run(false, false);
  EXPECT_EQ(reader_.forgotten, 0);
  job.run(false, true);
  EXPECT_EQ(reader_.forgotten, 1);
  EXPECT_EQ(reader_.reads, 2);
}

TEST_F(CheckJobTest, AStopRequestEndsTheCheckUnknownNotClean) {
  write("filter", "^-P INPUT ACCEPT$\n^-A INPUT -s 10\\.0\\.0\\.1/32 -j DROP$\n");
  stopping_ = true;
  CheckJob job(options_, {&reader_}, log_, stopping_);
  EXPECT_EQ(job.run(false, false).run.report.verdict, Verdict::Unknown);
}

TEST_F(CheckJobTest, NoCompanionsUnlessAskedFor) {
  CheckJob job(options_, {&reader_}, log_, stopping_);
  CheckJobResult result = job.run(false, false);
  EXPECT_TRUE(result.companions.logs.empty());
  EXPECT_FALSE(result.companions.last_good_reading.has_value());
}

TEST(CheckJobFailed, AFailedCheckIsUnknownWithTheText) {
  CheckJobResult result = CheckJob::failed("a reader bug");
  EXPECT_EQ(result.run.report.verdict, Verdict::Unknown);
  ASSERT_EQ(result.run.report.errors.size(), 1u);
  EXPECT_NE(result.run.report.errors[0].find("a reader bug"), std::string::npos);
}

}  // namespace
}  // namespace aim
