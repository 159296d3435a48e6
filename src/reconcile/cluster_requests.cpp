#include "reconcile/cluster_requests.h"

#include "check/report_format.h"
#include "kube/events.h"
#include "kube/url.h"

namespace aim {

std::string event_message(const Report& report) {
  std::vector<std::string> rules;
  rules.reserve(report.unexpected.size());
  bool iptables_rule_in_nft_syntax = false;
  for (const UnexpectedRule& r : report.unexpected) {
    rules.push_back(source_name(r.backend, r.family) + " " + r.table + ": " + r.rule);
    // "ip filter", "ip6 nat": an iptables table's rule shown natively.
    const size_t space = r.table.find(' ');
    iptables_rule_in_nft_syntax |= r.backend == Backend::Native && space != std::string::npos &&
                                   (r.table.starts_with("ip ") || r.table.starts_with("ip6 ")) &&
                                   table_rank(std::string_view(r.table).substr(space + 1));
  }
  return unexpected_rules_message(
      rules, iptables_rule_in_nft_syntax
                 ? "rules of iptables tables in nft syntax: their iptables text would not be the "
                   "whole rule (written with nft, or by an iptables other than 1.8.9)"
                 : "");
}

RequestResult perform(KubeApi& api, EventReporter* events, const std::string& node,
                      const ClusterRequest& request) {
  if (request.kind == ClusterRequest::Kind::Label) {
    const ApiOutcome patched = api.patch_label(node, request.label_value);
    if (patched.ok) {
      // The answer is the object as the write left it: its resource version
      // tells the reconciler whether the watch has already passed this write.
      auto written = parse_ciliumnode(patched.body, node);
      if (!written) return {true, patched.status, {}};
      return {true, patched.status, {}, *written};
    }
    return {false, patched.status,
            "cannot set label " + std::string(kLabelKey) + "=" +
                (request.label_value ? "true" : "false") + ": " + patched.error};
  }
  if (request.kind == ClusterRequest::Kind::ReadLabel) {
    const ApiOutcome read = api.get_ciliumnode(node);
    if (!read.ok) return {false, read.status, "cannot read CiliumNode " + node + ": " + read.error};
    auto seen = parse_ciliumnode(read.body, node);
    if (!seen) return {false, read.status, "cannot read CiliumNode " + node + ": " + seen.error()};
    return {true, read.status, {}, *seen};
  }
  if (!events) return {false, 0, "cannot record the " + request.reason + " event: no --events"};
  const ApiOutcome reported = events->report(request.reason, request.message);
  if (reported.ok) return {true, reported.status, {}};
  return {false, reported.status,
          "cannot record the " + request.reason + " event: " + reported.error};
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
