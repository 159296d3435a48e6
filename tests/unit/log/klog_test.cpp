#include "log/klog.h"

#include <gtest/gtest.h>
#include <syslog.h>

#include <regex>

namespace aim {
namespace {

std::tm at(int month, int day, int hour, int minute, int second) {
  std::tm t{};
  t.tm_mon = month - 1;
  t.tm_mday = day;
  t.tm_hour = hour;
  t.tm_min = minute;
  t.tm_sec = second;
  return t;
}

TEST(KlogLine, HasKlogsHeader) {
  EXPECT_EQ(klog_line('I', at(11, 28, 4, 5, 6), 7890, 1, "verdict clean"),
            "I1128 04:05:06.007890       1 azure-iptables-monitor] verdict clean\n");
  EXPECT_EQ(klog_line('E', at(1, 2, 23, 59, 59), 999999, 1234567, "x"),
            "E0102 23:59:59.999999 1234567 azure-iptables-monitor] x\n");
}

// The shape log collectors parse klog lines with (severity, mmdd time,
// pid, source, message).
TEST(KlogLine, MatchesTheShapeKlogParsersExpect) {
  const std::regex klog(R"(^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d{6} +\d+ [^ \]]+\] .*\n$)");
  EXPECT_TRUE(
      std::regex_match(klog_line('W', at(12, 31, 0, 0, 0), 0, 42, "unexpected rule"), klog));
}

TEST(KlogLine, OneEntryIsOneLine) {
  const std::string line = klog_line('W', at(3, 4, 5, 6, 7), 8, 9, "a\nb\r\nc");
  EXPECT_EQ(line, "W0304 05:06:07.000008       9 azure-iptables-monitor] a\\nb\\r\\nc\n");
}

TEST(KlogSeverity, FromSyslogPriority) {
  EXPECT_EQ(klog_severity(LOG_CRIT), 'E');
  EXPECT_EQ(klog_severity(LOG_ERR), 'E');
  EXPECT_EQ(klog_severity(LOG_WARNING), 'W');
  EXPECT_EQ(klog_severity(LOG_NOTICE), 'I');
  EXPECT_EQ(klog_severity(LOG_INFO), 'I');
}

}  // namespace
}  // namespace aim
