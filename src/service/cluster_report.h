#pragma once
// What a check's verdict asks of the cluster, and sending it: the label
// (never "false" for an unknown verdict; "true" once unknown lasted past its
// grace, see UnknownGrace) and, with --events, a Warning Event.
#include <ostream>
#include <string>
#include <vector>

#include "check/check.h"
#include "kube/kube_api.h"
#include "reconcile/unknown_grace.h"

namespace aim {

struct ClusterResult {
  bool ok = true;
  std::vector<std::string> errors;  // operator-facing, one per failed request
};

// `events` may be null (no --events). `label` is what to send (see
// UnknownGrace::decide).
ClusterResult send_to_cluster(KubeApi& api, EventReporter* events, const std::string& node,
                              const Report& report, const LabelDecision& label);

// --dry-run: the requests send_to_cluster would make, as text.
void print_dry_run(std::ostream& out, const std::string& server, const std::string& node,
                   bool events, const Report& report);

// The event message for a report's unexpected rules ("TABLE: RULE").
std::string event_message(const Report& report);

}  // namespace aim
