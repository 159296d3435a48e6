// The service's metrics file is written on its own thread from the state
// recorded (the check's report is copied in, so the loop thread may drop it
// at once); changes while a write is in flight are coalesced into one more
// write of the latest state.
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
    MetricsWriter writer(path, "0.1.0", log);
    ASSERT_TRUE(writer.start(loop, {}));
    {
      auto report = std::make_unique<Report>();
      report->verdict = Verdict::Unexpected;
      writer.check_finished({report.get(), 0.5, std::nullopt});
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

TEST(MetricsWriterTest, ChangesDuringAWriteAreCoalescedIntoOneMoreWriteOfTheLatestState) {
  char dir[] = "/tmp/aim-metrics-writer-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/aim.prom";
  sd_event* loop = nullptr;
  ASSERT_GE(sd_event_new(&loop), 0);
  Logger log(-1, false);
  const std::string last =
      "{method=\"watch\",resource=\"ciliumnodes.cilium.io\",code=\"200\"} 100\n";
  uint64_t started = 0;
  {
    MetricsWriter writer(path, "0.1.0", log);
    ASSERT_TRUE(writer.start(loop, {}));
    // 100 changes before the loop turns: the first starts a write, the
    // others ask for one more.
    for (int i = 0; i < 100; ++i) {
      writer.metrics().count_api_request("watch", "ciliumnodes.cilium.io", "200");
      writer.changed();
    }
    EXPECT_EQ(writer.writes_started(), 1u);
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (read_file(path).find(last) == std::string::npos &&
           std::chrono::steady_clock::now() < until)
      sd_event_run(loop, 50000);
    // Let any further continuation run: none should start a write.
    for (int i = 0; i < 5; ++i) sd_event_run(loop, 20000);
    started = writer.writes_started();
    writer.stop();
  }
  sd_event_unref(loop);
  const std::string text = read_file(path);
  std::filesystem::remove_all(dir);
  EXPECT_NE(text.find(last), std::string::npos) << text;
  EXPECT_EQ(started, 2u);
}

}  // namespace
}  // namespace aim
