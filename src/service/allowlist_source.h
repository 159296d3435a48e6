#pragma once
// The allowlists the service's checks use. Held by the check thread alone:
// every check first asks refresh(), which reads and compiles the directories
// the first time, when a reload was asked for (SIGHUP), or when what they
// are made of changed (their fingerprint: files added, removed, edited, a
// symlinked directory re-pointed), and logs their problems when it loads
// them (a list without patterns is a warning too: every rule is
// unexpected). Nothing here runs on the event loop (it reads the file system).
#include <string>
#include <vector>

#include "allowlist/allowlist.h"
#include "log/logger.h"
#include "service/runtime.h"

namespace aim {

class AllowlistSource {
 public:
  // `input6` is used when `ipv6`. `runtime` words the advice for a list
  // without patterns (a ConfigMap in a pod, a directory otherwise).
  AllowlistSource(std::string input, std::string input6, bool ipv6, Logger& log,
                  Runtime runtime = Runtime::Manual)
      : input_(std::move(input)),
        input6_(std::move(input6)),
        ipv6_(ipv6),
        runtime_(runtime),
        log_(log) {}

  struct Refresh {
    bool reloaded = false;  // the directories were read again (re-watch them)
    // Diagnostics of the lists now in use, and each list without a single
    // pattern (a missing or empty directory: every rule is unexpected).
    size_t problems = 0;
    // Patterns in use per family ("ipv4", and "ipv6" with --ipv6).
    std::vector<std::pair<std::string, size_t>> patterns;
  };
  Refresh refresh(bool reload);
  // Whether what the directories hold differs from what was loaded (true
  // before the first load).
  bool changed() const { return !loaded_ || fingerprint() != fingerprint_; }

  const Allowlist& ipv4() const { return allow4_; }
  const Allowlist& ipv6() const { return allow6_; }

  // What to watch for changes: each directory and its parent (where a
  // symlinked directory is re-pointed or a directory is recreated). Pure.
  // The warning for a family's list without patterns, with what to do
  // about it where the service runs. Pure.
  static std::string no_patterns_message(bool ipv6, const std::string& dir, Runtime runtime);

  static std::vector<std::string> watched_paths(const std::string& input, const std::string& input6,
                                                bool ipv6);

 private:
  std::string fingerprint() const;
  std::vector<std::pair<std::string, size_t>> patterns() const;

  std::string input_, input6_;
  bool ipv6_;
  Runtime runtime_;
  Logger& log_;
  bool loaded_ = false;
  std::string fingerprint_;
  Allowlist allow4_, allow6_;
  size_t problems_ = 0;
};

}  // namespace aim
