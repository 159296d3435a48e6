#include "log/logger.h"

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "log/klog.h"

namespace aim {

bool Logger::stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(2, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

void Logger::log(int level, int priority, const std::string& message, const LogFields& fields) {
  if (!enabled(level)) return;
  if (journal_) {
    std::vector<std::string> items;
    items.reserve(fields.size() + 3);
    items.push_back("MESSAGE=" + message);
    items.push_back("PRIORITY=" + std::to_string(priority));
    items.push_back("SYSLOG_IDENTIFIER=azure-iptables-monitor");
    for (const auto& [name, value] : fields) items.push_back(name + "=" + value);
    std::vector<iovec> iov;
    for (auto& s : items) iov.push_back({s.data(), s.size()});
    if (sd_journal_sendv(iov.data(), static_cast<int>(iov.size())) >= 0) return;
    // Journal unreachable: fall through to stderr, nothing is lost.
  }
  // Not under journald (a container, a terminal): klog's lines, as
  // upstream's were. One write per line, so lines from threads never mix.
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  std::tm local{};
  localtime_r(&now.tv_sec, &local);
  const std::string line =
      klog_line(klog_severity(priority), local, now.tv_nsec / 1000, getpid(), message);
  write_line(2, line);
}

void Logger::write_line(int fd, const std::string& line) {
  const char* at = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, at, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr gone: nowhere left to say so
    at += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace aim
