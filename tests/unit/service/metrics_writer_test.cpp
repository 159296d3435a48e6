// The service's metrics file is written on its own thread from a copy of the
// check's report, so the loop thread may drop its report at once.
#include "service/metrics_writer.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <systemd/sd-event.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace aim {
namespace {

using namespace std::chrono_literals;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(MetricsWriterTest, WritesTheCheckFromACopyOfItsReport) {
  char dir[] = "/tmp/aim-metrics-writer-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/aim.prom";
  sd_event* loop = nullptr;
  ASSERT_GE(sd_event_new(&loop), 0);
  Logger log(-1, false);
  {
    MetricsWriter writer(path, log);
    ASSERT_TRUE(writer.start(loop, {}));
    {
      auto report = std::make_unique<Report>();
      report->verdict = Verdict::Unexpected;
      writer.check_finished({report.get(), 0.5, false, std::nullopt, 0});
    }  // the caller's report is gone before the write
    // Runs the loop until the file is there: 30 s bounds "never".
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (!std::filesystem::exists(path) && std::chrono::steady_clock::now() < until)
      sd_event_run(loop, 50000);
    writer.stop();
  }
  sd_event_unref(loop);
  const std::string text = read_file(path);
  std::filesystem::remove_all(dir);
  EXPECT_NE(text.find("verdict=\"unexpected\"} 1"), std::string::npos) << text;
}

}  // namespace
}  // namespace aim
