#pragma once
// Logging: native journal entries with fields when stderr is the journal
// (JOURNAL_STREAM), so `journalctl -u azure-iptables-monitor TABLE=nat`
// works; otherwise klog's lines on stderr (log/klog.h), as upstream wrote
// them. -v levels as klog: 0 state changes, errors and unexpected rules;
// 2 per-check summaries; 4 every rule.
#include <syslog.h>

#include <string>
#include <utility>
#include <vector>

namespace aim {

using LogFields = std::vector<std::pair<std::string, std::string>>;  // NAME (upper case), value

class Logger {
 public:
  // `to_journal`: send native entries (decide with stderr_is_journal()).
  Logger(int verbosity, bool to_journal) : verbosity_(verbosity), journal_(to_journal) {}

  bool enabled(int level) const { return level <= verbosity_; }
  // Logs `message` at syslog `priority` if `level` <= verbosity.
  void log(int level, int priority, const std::string& message, const LogFields& fields = {});
  void error(const std::string& m, const LogFields& f = {}) { log(0, LOG_ERR, m, f); }
  void warning(const std::string& m, const LogFields& f = {}) { log(0, LOG_WARNING, m, f); }
  void info(int level, const std::string& m, const LogFields& f = {}) {
    log(level, LOG_INFO, m, f);
  }

  void set_verbosity(int v) { verbosity_ = v; }

  // Whether fd 2 is the journal stream named by $JOURNAL_STREAM.
  static bool stderr_is_journal();

 private:
  int verbosity_;
  bool journal_;
};

}  // namespace aim
