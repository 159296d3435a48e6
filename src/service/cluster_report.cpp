#include "service/cluster_report.h"

#include "check/report_format.h"
#include "kube/events.h"
#include "kube/url.h"

namespace aim {

std::string event_message(const Report& report) {
  std::vector<std::string> rules;
  rules.reserve(report.unexpected.size());
  for (const UnexpectedRule& r : report.unexpected)
    rules.push_back(source_name(r.backend, r.family) + " " + r.table + ": " + r.rule);
  return unexpected_rules_message(rules);
}

ClusterResult send_to_cluster(KubeApi& api, EventReporter* events, const std::string& node,
                              const Report& report, const LabelDecision& label) {
  ClusterResult result;
  if (!label.value) return result;  // the label is left as it is
  const bool value = *label.value;
  // Never "false" unless every table was read and every rule allowed.
  if (!value && report.verdict != Verdict::Clean) return result;
  ApiOutcome patched = api.patch_label(node, value);
  if (!patched.ok) {
    result.ok = false;
    result.errors.push_back("cannot set label " + std::string(kLabelKey) + "=" +
                            (value ? "true" : "false") + ": " + patched.error);
  }
  if (events && report.verdict == Verdict::Unexpected) {
    ApiOutcome reported = events->report("UnexpectedIPTablesRules", event_message(report));
    if (!reported.ok) {
      result.ok = false;
      result.errors.push_back("cannot record the UnexpectedIPTablesRules event: " + reported.error);
    }
  }
  if (events && label.unknown_too_long) {
    ApiOutcome reported =
        events->report("UnreadableIPTablesRules", unknown_too_long_message(label, report));
    if (!reported.ok) {
      result.ok = false;
      result.errors.push_back("cannot record the UnreadableIPTablesRules event: " + reported.error);
    }
  }
  return result;
}

void print_dry_run(std::ostream& out, const std::string& server, const std::string& node,
                   bool events, const Report& report) {
  if (report.verdict == Verdict::Unknown) {
    out << "dry run: would send nothing (verdict unknown: the label is left as it is)\n";
    return;
  }
  const HttpRequest req = label_request(node, report.verdict == Verdict::Unexpected);
  out << "dry run: would send " << req.method << ' ' << redact_url(server + req.path)
      << "\n  Content-Type: " << req.content_type << "\n  " << req.body << '\n';
  if (events && report.verdict == Verdict::Unexpected)
    out << "dry run: would create or update a Warning Event UnexpectedIPTablesRules about Node "
        << node << " in namespace default: " << event_message(report) << '\n';
}

}  // namespace aim
