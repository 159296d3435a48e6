#pragma once
// The service: an sd_event loop that checks at start and then every
// --interval seconds (re-armed after each check, so checks never overlap),
// re-asserts the label every time (cilium-agent replaces CiliumNode labels),
// reloads allowlists and credentials on SIGHUP or when an allowlist file
// changes, reports to systemd (READY, STATUS, RELOADING, STOPPING, WATCHDOG)
// and stops within a second on SIGTERM/SIGINT.
#include <memory>
#include <string>
#include <vector>

#include "cli/options.h"
#include "log/logger.h"
#include "rules/reader.h"

namespace aim {

struct DaemonOptions {
  GlobalOptions global;
  double interval_seconds = 300;
  bool terminate_on_success = false;
  double unknown_grace_seconds = 60;
  // Prometheus textfile written after every check; empty: none.
  std::string metrics_file;
};

class Daemon {
 public:
  Daemon(DaemonOptions options, std::vector<RuleReader*> readers, Logger& log);
  ~Daemon();
  // Runs until stopped; returns the process exit status.
  int run();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace aim
