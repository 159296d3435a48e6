#include "log/klog.h"

#include <syslog.h>

#include <cstdio>

namespace aim {

char klog_severity(int priority) {
  if (priority <= LOG_ERR) return 'E';
  if (priority == LOG_WARNING) return 'W';
  return 'I';
}

std::string klog_line(char severity, const std::tm& local, long microseconds, long pid,
                      std::string_view message) {
  char header[64];
  std::snprintf(header, sizeof header, "%c%02d%02d %02d:%02d:%02d.%06ld %7ld ", severity,
                local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec,
                microseconds, pid);
  std::string line = header;
  line += "azure-iptables-monitor] ";
  line.reserve(line.size() + message.size() + 1);
  for (const char c : message) {
    if (c == '\n')
      line += "\\n";
    else if (c == '\r')
      line += "\\r";
    else
      line += c;
  }
  line += '\n';
  return line;
}

}  // namespace aim
