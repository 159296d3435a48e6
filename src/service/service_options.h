#pragma once
// What the service is told, and every default of it, in one place. The
// command line binds its flags to these fields (cli/options.h: its
// GlobalOptions is these plus what only the commands use), so --help shows
// these defaults and the service gets exactly what was parsed. A plain
// struct: service/ knows nothing of the command line.
#include <string>

#include "service/runtime.h"

namespace aim {

struct ServiceOptions {
  std::string input = "/etc/config/";    // IPv4 allowlist directory
  std::string input6 = "/etc/config6/";  // IPv6 allowlist directory
  bool ipv6 = false;                     // also check ip6tables
  std::string node_name;                 // --node-name, else $NODE_NAME
  std::string kubeconfig;                // empty: $KUBECONFIG, the kubelet's, in-cluster
  bool events = false;                   // Warning Events on the Node
  double request_timeout_seconds = 5;    // per API request
  double interval_seconds = 300;         // time between checks (the backstop)
  double unknown_grace_seconds = 60;     // unknown this long (and 2 checks) -> "true"
  bool terminate_on_success = false;     // exit 0 after a clean, labelled check
  // Follow the CiliumNode and send the label when it differs (else: after
  // every check).
  bool watch_ciliumnode = true;
  // Rule changes start a check (nf_tables announces them; x_tables tables'
  // sizes are polled), spaced by their cost (reconcile/check_pacer.h).
  bool watch_rules = true;
  // The operator's ceiling on how often changes start checks; 0: none.
  double min_check_interval_seconds = 0;
  // The BPF block counter (--checkMap) and where it is pinned.
  bool check_map = false;
  std::string map_path = "/azure-block-iptables-bpf-map/iptables_block_event_counter";
  bool install_routes = false;  // keep the health-probe reply routes
  std::string metrics_file;     // Prometheus textfile written after every check; empty: none
  // --listen ADDRESS:PORT: serve /metrics and /healthz there (checked by
  // util/listen_address.h when parsed); empty: no server.
  std::string listen;
  // Not a flag: who runs the service (service/runtime.h), for messages that
  // name the operator's levers.
  Runtime runtime = Runtime::Manual;
  // Not a flag: run by systemd as the unit, whose sandbox hides some places
  // (util/sandbox_paths.h); credential errors then name the hide.
  bool unit_sandbox = false;

  bool operator==(const ServiceOptions&) const = default;
};

}  // namespace aim
