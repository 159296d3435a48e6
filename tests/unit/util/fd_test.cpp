// read_file reads hostile input: FIFOs, devices and endless files are
// refused instead of hanging or exhausting memory.
#include "util/fd.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "deadline.h"

namespace aim {
namespace {

using std::chrono::seconds;

class ReadFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/aim-fd-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  // read_file(path, cap) in a child with a deadline: its error, or "OK:" and
  // the size read, or "HUNG" when it did not return in time.
  static std::string outcome(const std::string& path, size_t cap = kDefaultReadLimit) {
    auto out = test::run_with_deadline(seconds(10), [&] {
      auto r = read_file(path, cap);
      return r ? "OK:" + std::to_string(r->size()) : r.error();
    });
    return out ? *out : "HUNG";
  }
  std::string dir_;
};

TEST_F(ReadFile, ReadsARegularFileUpToTheCap) {
  const std::string path = dir_ + "/f";
  std::ofstream(path) << std::string(100, 'x');
  auto r = read_file(path, 100);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(*r, std::string(100, 'x'));
  auto over = read_file(path, 99);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error(), "cannot read " + path +
                              ": it is larger than 99 bytes, far more than such a file holds; "
                              "check that the path names the intended file");
  EXPECT_EQ(over.error_code(), EFBIG);
}

TEST_F(ReadFile, MissingFileKeepsItsErrno) {
  auto r = read_file(dir_ + "/missing");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error_code(), ENOENT);
}

TEST_F(ReadFile, FifoIsRefusedWithoutWaitingForAWriter) {
  const std::string path = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  const std::string out = outcome(path);
  EXPECT_NE(out.find(path + ": it is a FIFO (named pipe), not a regular file"), std::string::npos)
      << out;
}

TEST_F(ReadFile, DevicesAndDirectoriesAreRefused) {
  const std::string zero = outcome("/dev/zero");
  EXPECT_NE(zero.find("/dev/zero: it is a character device"), std::string::npos) << zero;
  const std::string dir = outcome(dir_);
  EXPECT_NE(dir.find("it is a directory"), std::string::npos) << dir;
  EXPECT_EQ(read_file(dir_).error_code(), EISDIR);
}

TEST_F(ReadFile, EndlessFileThatReportsSizeZeroStopsAtTheCap) {
  // /proc/self/pagemap is a regular file of size 0 that reads on for
  // hundreds of gigabytes: only counting while reading stops it.
  struct stat st {};
  ASSERT_EQ(stat("/proc/self/pagemap", &st), 0);
  ASSERT_EQ(st.st_size, 0);
  const std::string link = dir_ + "/global";  // as an allowlist file would be named
  ASSERT_EQ(symlink("/proc/self/pagemap", link.c_str()), 0);
  const std::string out = outcome(link);
  EXPECT_NE(out.find("cannot read " + link + ": it is larger than 1048576 bytes"),
            std::string::npos)
      << out;
}

TEST_F(ReadFile, SmallProcFilesStillRead) {
  auto r = read_file("/proc/self/stat");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_FALSE(r->empty());
}

}  // namespace
}  // namespace aim
