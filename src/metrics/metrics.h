#pragma once
// Prometheus metrics in the text exposition format, for node-exporter's
// textfile collector (a node agent without a port of its own). Pure: a
// snapshot of counters and gauges in, the file's text out.
//
// Names and labels follow Prometheus conventions: one prefix, base units
// (seconds), `_total` only on counters, a 0/1 gauge per state
// (`verdict{verdict="clean"}`), labels of bounded cardinality.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "check/check.h"

namespace aim {

inline constexpr const char* kMetricsPrefix = "azure_iptables_monitor_";

// One table of the last check.
struct TableMetrics {
  std::string backend;  // legacy, nft, nftables
  std::string family;   // ipv4, ipv6; a native table's nft family (inet, ip, ...)
  std::string table;    // nat, filter, ...; a native table's name
  uint64_t rules = 0;   // lines checked
  uint64_t unexpected = 0;
  bool readable = true;
};

// One kind of API request and how it ended: the HTTP status code, or
// "error" when no answer came (connection, TLS, timeout).
struct ApiRequestKey {
  std::string method;    // get, patch, create
  std::string resource;  // ciliumnodes.cilium.io, nodes, events
  std::string code;      // "200", "403", "error"
  auto operator<=>(const ApiRequestKey&) const = default;
};

struct MetricsSnapshot {
  // The last check.
  Verdict verdict = Verdict::Unknown;
  std::vector<TableMetrics> tables;
  uint64_t read_errors = 0;         // sources or tables that could not be read
  uint64_t pattern_limit_hits = 0;  // patterns that gave up on some rule
  double check_duration_seconds = 0;
  double last_check_unix_seconds = 0;
  // Since the process started.
  std::map<Verdict, uint64_t> checks;  // by verdict
  std::map<ApiRequestKey, uint64_t> api_requests;
  // When the label the verdict asks for was last confirmed on the CiliumNode
  // (after a check, a request or a watch event); never: 0, so a staleness
  // alert (time() - this > bound) fires for a label never set.
  std::optional<double> label_last_success_unix_seconds;
  // Times another writer changed the label back soon after the service set it.
  uint64_t label_overwrites = 0;
  // The label on the CiliumNode as last seen (by the watch or a read) and as
  // last set by a successful PATCH: a LabelState name; nullopt: not known yet.
  std::optional<std::string> label_observed;
  std::optional<std::string> label_sent;
  // The allowlists in use: patterns per family ("ipv4", "ipv6"; none yet
  // before the first load) and their problems (diagnostics, and each list
  // without patterns).
  std::vector<std::pair<std::string, uint64_t>> allowlist_patterns;
  uint64_t allowlist_problems = 0;
  // The program's version (build_info).
  std::string version;
  // --checkMap: the BPF program's count as last read (absent without a reading).
  std::optional<uint64_t> bpf_blocked_rule_additions;
};

// The label's state as a bounded metric value: "true", "false", "absent"
// (no such label, or no CiliumNode) or "other" (any other value: the label
// value space is not ours to bound).
std::string label_state(bool object_exists, const std::optional<std::string>& label);
inline constexpr const char* kLabelStates[] = {"true", "false", "absent", "other"};

// Fills the last-check part of `snapshot` from `report` (tables, counts,
// verdict) and counts the check.
void record_report(MetricsSnapshot& snapshot, const Report& report);

// The exposition text: HELP and TYPE for every metric, series sorted, label
// values escaped.
std::string render_metrics(const MetricsSnapshot& snapshot);

}  // namespace aim
