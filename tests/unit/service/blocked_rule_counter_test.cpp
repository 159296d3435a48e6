// The BPF block counter as the service's checks read it (a fake map reader).
#include "service/blocked_rule_counter.h"

#include <gtest/gtest.h>

namespace aim {
namespace {

bool has(const std::vector<LogLine>& logs, const std::string& part) {
  for (const LogLine& l : logs)
    if (l.message.find(part) != std::string::npos) return true;
  return false;
}

TEST(BlockedRuleCounter, FirstReadingIsTheBaselineThenGrowthIsNew) {
  std::vector<Result<uint64_t>> readings{uint64_t{5}, uint64_t{5}, uint64_t{8}};
  size_t i = 0;
  BlockedRuleCounter counter("/sys/fs/bpf/map",
                             [&](const std::string&) -> Result<uint64_t> { return readings[i++]; });
  EXPECT_EQ(counter.read().new_blocks, 0u) << "blocks before the start are not reported";
  EXPECT_EQ(counter.read().new_blocks, 0u);
  const BlockedRuleCounter::Reading third = counter.read();
  EXPECT_EQ(third.new_blocks, 3u);
  EXPECT_EQ(third.last_good, 8u);
}

TEST(BlockedRuleCounter, AnUnreadableMapKeepsTheCountAndSaysWhere) {
  std::vector<Result<uint64_t>> readings{uint64_t{5}, Error{"cannot open /sys/fs/bpf/map", 2},
                                         uint64_t{6}};
  size_t i = 0;
  BlockedRuleCounter counter("/sys/fs/bpf/map",
                             [&](const std::string&) -> Result<uint64_t> { return readings[i++]; });
  counter.read();
  const BlockedRuleCounter::Reading failed = counter.read();
  EXPECT_EQ(failed.new_blocks, 0u);
  EXPECT_EQ(failed.last_good, 5u);
  EXPECT_TRUE(has(failed.logs, "keeping the previous count"));
  const BlockedRuleCounter::Reading back = counter.read();
  EXPECT_EQ(back.new_blocks, 1u);
  EXPECT_TRUE(has(back.logs, "/sys/fs/bpf/map is readable again"));
}

}  // namespace
}  // namespace aim
