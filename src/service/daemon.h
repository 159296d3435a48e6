#pragma once
// The service: an sd_event loop whose triggers all run one action. Triggers:
// the start, the --interval timer (the backstop), an allowlist change
// (inotify, compared before every check too), SIGHUP (reload), the node's
// CiliumNode as its watch sees it, a rule change, and a retry falling due.
//
// Daemon keeps the loop and the triggers: timers, signals, inotify, the
// order of checks, STATUS. The loop thread owns that state and does no
// blocking I/O. Its parts, each in its own file and each (but
// RuleChangeWatch's listener) with its own thread, a LoopWorker whose
// results come back to the loop as continuations:
//   CheckJob            the checks: allowlists (AllowlistSource), rule
//                       reads, matching, HostRouteRepair, BlockedRuleCounter;
//   LabelKeeper         the cluster side: the Reconciler's decisions carried
//                       out by RequestSender (the API requests, label and
//                       Events, with their retries) and CiliumNodeFollower
//                       (the CiliumNode watch), the retry timer;
//   RuleChangeWatch     nf_tables listener (on the loop), x_tables poll (its
//                       poller thread), pacing;
//   MetricsWriter       the metrics file (written, flushed, renamed);
//   HealthEndpoint      --listen: /metrics and /healthz on libmicrohttpd's
//                       thread, from what the loop publishes (a heartbeat
//                       stamp, the last check's end) and ServiceMetrics.
// A job that throws is an `unknown` check or a failed request, never a
// crash; a continuation that throws stops the service with the reason
// (systemd restarts it). So the loop never waits on the kernel, the file
// system or the network: signals, watchdog pings and triggers are answered
// at once, and SIGTERM stops it within a second. The Logger is safe from
// every thread. Every timer is armed through event_loop.h's arm_at.
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
