#include "metrics/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace aim {
namespace {

// Label values are escaped as the exposition format requires: backslash,
// double quote and newline.
std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}
std::string number(uint64_t v) { return std::to_string(v); }

using Labels = std::vector<std::pair<std::string, std::string>>;

class Writer {
 public:
  void family(const std::string& name, const char* type, const char* help) {
    name_ = kMetricsPrefix + name;
    out_ += "# HELP " + name_ + " " + help + "\n# TYPE " + name_ + " " + type + "\n";
  }
  void sample(const Labels& labels, const std::string& value) {
    out_ += name_;
    if (!labels.empty()) {
      out_ += '{';
      bool first = true;
      for (const auto& [k, v] : labels) {
        out_ += (first ? "" : ",") + k + "=\"" + escape_label(v) + "\"";
        first = false;
      }
      out_ += '}';
    }
    out_ += ' ' + value + '\n';
  }
  std::string take() { return std::move(out_); }

 private:
  std::string name_;
  std::string out_;
};

// A native table's label is "FAMILY NAME": split so it fits the same
// backend/family/table labels as the iptables tables.
void split_native(const std::string& label, std::string& family, std::string& table) {
  const size_t space = label.find(' ');
  if (space == std::string::npos) {
    family.clear();
    table = label;
    return;
  }
  family = label.substr(0, space);
  table = label.substr(space + 1);
}

constexpr Verdict kVerdicts[] = {Verdict::Clean, Verdict::Unexpected, Verdict::Unknown};

}  // namespace

std::string label_state(bool object_exists, const std::optional<std::string>& label) {
  if (!object_exists || !label) return "absent";
  if (*label == "true" || *label == "false") return *label;
  return "other";
}

void record_report(MetricsSnapshot& snapshot, const Report& report) {
  snapshot.verdict = report.verdict;
  snapshot.read_errors = report.errors.size();
  snapshot.pattern_limit_hits = report.limit_hits.size();
  snapshot.tables.clear();
  for (const TableResult& t : report.tables) {
    TableMetrics m;
    m.backend = std::string(backend_name(t.backend));
    if (t.backend == Backend::Native)
      split_native(t.table, m.family, m.table);
    else {
      m.family = std::string(family_name(t.family));
      m.table = t.table;
    }
    m.rules = t.rules;
    m.unexpected = t.unexpected;
    m.readable = t.error.empty();
    snapshot.tables.push_back(std::move(m));
  }
  ++snapshot.checks[report.verdict];
}

std::string render_metrics(const MetricsSnapshot& s) {
  Writer w;
  w.family("build_info", "gauge", "Always 1; the version of the running program as a label.");
  w.sample({{"version", s.version.empty() ? std::string("unknown") : s.version}}, "1");

  w.family("verdict", "gauge",
           "Verdict of the last check: 1 for the verdict it reached (clean, unexpected, unknown), "
           "0 for the others.");
  for (Verdict v : kVerdicts)
    w.sample({{"verdict", std::string(verdict_name(v))}}, s.verdict == v ? "1" : "0");

  w.family("checks_total", "counter", "Checks finished since the service started, by verdict.");
  for (Verdict v : kVerdicts) {
    auto it = s.checks.find(v);
    w.sample({{"verdict", std::string(verdict_name(v))}},
             number(it == s.checks.end() ? uint64_t{0} : it->second));
  }

  // Sorted, so the file is the same for the same state.
  std::vector<const TableMetrics*> tables;
  for (const TableMetrics& t : s.tables) tables.push_back(&t);
  std::sort(tables.begin(), tables.end(), [](const TableMetrics* a, const TableMetrics* b) {
    return std::tie(a->backend, a->family, a->table) < std::tie(b->backend, b->family, b->table);
  });
  auto table_labels = [](const TableMetrics& t) {
    return Labels{{"backend", t.backend}, {"family", t.family}, {"table", t.table}};
  };
  w.family("unexpected_rules", "gauge",
           "Rules no allowlist pattern matched in the last check, per backend, family and table.");
  for (const TableMetrics* t : tables) w.sample(table_labels(*t), number(t->unexpected));
  w.family("rules", "gauge",
           "Rule lines (-P/-N headers and rules) checked in the last check, per backend, family "
           "and table.");
  for (const TableMetrics* t : tables) w.sample(table_labels(*t), number(t->rules));
  w.family("table_readable", "gauge",
           "1 if the table was read completely in the last check, 0 if reading it failed.");
  for (const TableMetrics* t : tables) w.sample(table_labels(*t), t->readable ? "1" : "0");

  w.family("read_errors", "gauge",
           "Backends, families or tables that could not be read in the last check (any makes the "
           "verdict unknown unless a rule was unexpected).");
  w.sample({}, number(s.read_errors));
  w.family("pattern_limit_hits", "gauge",
           "Allowlist patterns that hit their match limit on some rule in the last check (counted "
           "as no match).");
  w.sample({}, number(s.pattern_limit_hits));
  w.family("allowlist_patterns", "gauge",
           "Allowlist patterns in use, per address family; 0: the directory (in a pod, its "
           "ConfigMap) is missing or empty, so every rule is unexpected.");
  for (const auto& [family, count] : s.allowlist_patterns)
    w.sample({{"family", family}}, number(count));
  w.family("allowlist_problems", "gauge",
           "Problems of the allowlists in use (patterns that do not compile, unreadable or "
           "misnamed files, a list without patterns); the journal names each.");
  w.sample({}, number(s.allowlist_problems));
  w.family("check_duration_seconds", "gauge",
           "How long the last check took (read, match and report to the API server).");
  w.sample({}, number(s.check_duration_seconds));
  w.family("last_check_timestamp_seconds", "gauge",
           "When the last check finished, in seconds since the Unix epoch.");
  w.sample({}, number(s.last_check_unix_seconds));
  // Always there (0: never), whatever the grants: an alert on its age
  // fires for a label never set as for one no longer kept.
  w.family("label_last_success_timestamp_seconds", "gauge",
           "When the label the verdict asks for was last confirmed on the CiliumNode (by a "
           "successful request or the watch), in seconds since the Unix epoch; 0: never.");
  w.sample({}, number(s.label_last_success_unix_seconds.value_or(0.0)));

  w.family("label", "gauge",
           "The CiliumNode label as last observed (watch or read) and as last set by the "
           "service (sent): 1 for its state (true, false, absent, other), 0 for the others; a "
           "source not known yet has no series.");
  for (const auto& [source, state] :
       {std::pair{"observed", &s.label_observed}, std::pair{"sent", &s.label_sent}}) {
    if (!*state) continue;
    for (const char* value : kLabelStates)
      w.sample({{"source", source}, {"value", value}}, **state == value ? "1" : "0");
  }

  w.family("label_overwrites_total", "counter",
           "Times another writer changed the CiliumNode label back within a minute of the service "
           "setting it (from the second time in a row it is set again with back-off).");
  w.sample({}, number(s.label_overwrites));

  w.family("api_requests_total", "counter",
           "Requests to the Kubernetes API server since the service started, by verb (get, "
           "patch, create, list, watch), resource and outcome (the HTTP status code, or "
           "\"error\" when no answer came; a watch counts when it opens or is refused).");
  for (const auto& [key, count] : s.api_requests)
    w.sample({{"method", key.method}, {"resource", key.resource}, {"code", key.code}},
             number(count));

  if (s.bpf_blocked_rule_additions) {
    w.family("bpf_blocked_rule_additions_total", "counter",
             "iptables rule additions the node's blocking BPF program refused, as last read from "
             "key 0 of the pinned map (--checkMap).");
    w.sample({}, number(*s.bpf_blocked_rule_additions));
  }
  return w.take();
}

}  // namespace aim
