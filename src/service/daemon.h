#pragma once
// The service: an sd_event loop whose triggers all run one action. Triggers:
// the start, the --interval timer (the backstop), an allowlist change
// (inotify, compared before every check too), SIGHUP (reload), the node's
// CiliumNode as its watch sees it, a rule change, and a retry falling due.
//
// Threads. The loop thread owns the service's state (the Reconciler, the
// pacer, timers, STATUS) and does no blocking I/O. Beside it, each a
// LoopWorker whose results come back to the loop as continuations:
//   checks   allowlists (read, compiled), rule reads, matching, route repair,
//            the BPF counter; its state is touched by check jobs only;
//   requests the API requests (label, Events) with their retries;
//   watcher  the CiliumNode watch;
//   poller   the x_tables size poll;
//   files    the metrics file (written, flushed, renamed).
// A job that throws is an `unknown` check or a failed request, never a crash.
// So the loop never waits on the kernel, the file system or the network:
// signals, watchdog pings and triggers are answered at once, and SIGTERM
// stops it within a second. The Logger is safe from every thread.
#include <memory>
#include <string>
#include <vector>

#include "log/logger.h"
#include "rules/reader.h"
#include "service/service_options.h"

namespace aim {

class Daemon {
 public:
  Daemon(ServiceOptions options, std::vector<RuleReader*> readers, Logger& log);
  ~Daemon();
  // Runs until stopped; returns the process exit status.
  int run();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace aim
