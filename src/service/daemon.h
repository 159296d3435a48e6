#pragma once
// The service: an sd_event loop whose triggers all run one action. Triggers:
// the start, the --interval timer (the backstop), an allowlist change
// (inotify, compared before every check too), SIGHUP (reload), the node's
// CiliumNode as its watch sees it, and a retry falling due. The action reads
// and checks on a worker thread; the Reconciler decides what to send and log;
// requests run on another thread and the watch on a third, so the loop never
// waits on the kernel or the network: signals, watchdog pings and triggers are
// answered at once, and SIGTERM stops it within a second.
#include <memory>
#include <string>
#include <vector>

#include "log/logger.h"
#include "rules/reader.h"

namespace aim {

// What the service is told (main maps the command line onto it).
struct ServiceOptions {
  std::string input = "/etc/config/";
  std::string input6 = "/etc/config6/";
  bool ipv6 = false;
  std::string node_name;
  std::string kubeconfig;  // empty: $KUBECONFIG, the kubelet's, in-cluster
  bool events = false;
  double request_timeout_seconds = 5;
  double interval_seconds = 300;
  double unknown_grace_seconds = 60;
  bool terminate_on_success = false;
  bool watch_ciliumnode = true;  // follow the CiliumNode (else: label after every check)
  // Rule changes start a check (nf_tables announces them; x_tables tables'
  // sizes are polled), spaced at least this far apart under churn.
  bool watch_rules = true;
  double min_check_interval_seconds = 5;
  // Parity features.
  bool check_map = false;
  std::string map_path;
  bool install_routes = false;
  // Prometheus textfile written after every check; empty: none.
  std::string metrics_file;
};

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
