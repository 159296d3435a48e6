#pragma once
// Logging: native journal entries with fields when stderr is the journal
// (JOURNAL_STREAM), so `journalctl -u azure-iptables-monitor TABLE=nat`
// works; otherwise klog's lines on stderr (log/klog.h), as upstream wrote
// them. -v levels as klog: 0 state changes, errors and unexpected rules;
// 2 per-check summaries; 4 every rule.
//
// Thread-safe: the service's loop, check, request and watch threads all log.
// A journal entry is one sendmsg(2); a stderr line is one write(2) of the
// whole line on fd 2 (never through std::cerr, whose buffer is not shared
// safely once main turns off stdio sync), so lines never mix or tear.
#include <syslog.h>

#include <atomic>
#include <string>
#include <utility>
#include <vector>

namespace aim {

using LogFields = std::vector<std::pair<std::string, std::string>>;  // NAME (upper case), value

class Logger {
 public:
  // `to_journal`: send native entries (decide with stderr_is_journal()).
  Logger(int verbosity, bool to_journal) : verbosity_(verbosity), journal_(to_journal) {}

  bool enabled(int level) const { return level <= verbosity_.load(std::memory_order_relaxed); }
  // Logs `message` at syslog `priority` if `level` <= verbosity.
  void log(int level, int priority, const std::string& message, const LogFields& fields = {});
  void error(const std::string& m, const LogFields& f = {}) { log(0, LOG_ERR, m, f); }
  void warning(const std::string& m, const LogFields& f = {}) { log(0, LOG_WARNING, m, f); }
  void info(int level, const std::string& m, const LogFields& f = {}) {
    log(level, LOG_INFO, m, f);
  }

  void set_verbosity(int v) { verbosity_.store(v, std::memory_order_relaxed); }

  // Whether fd 2 is the journal stream named by $JOURNAL_STREAM.
  static bool stderr_is_journal();

  // Writes all of `line` to `fd` in one write(2) where the kernel takes it
  // whole (a pipe takes up to PIPE_BUF atomically; files and the journal
  // stream take any size), continuing only after a short write or EINTR.
  static void write_line(int fd, const std::string& line);

 private:
  std::atomic<int> verbosity_;
  bool journal_;
};

}  // namespace aim
