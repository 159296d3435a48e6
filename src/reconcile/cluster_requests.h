#pragma once
// The requests a verdict makes of the cluster (the label, Events), carrying
// them out through a KubeApi, and showing them for --dry-run. Shared by the
// `check` command and the service.
#include <optional>
#include <ostream>
#include <string>

#include "check/check.h"
#include "kube/ciliumnode_watch_events.h"
#include "kube/kube_api.h"

namespace aim {

struct ClusterRequest {
  // ReadLabel: GET the CiliumNode before re-asserting `label_value` without a
  // watch (the write is made only when the label differs).
  enum class Kind { Label, Event, ReadLabel };
  Kind kind = Kind::Label;
  bool label_value = false;  // Label, ReadLabel
  std::string reason;        // Event: UnexpectedIPTablesRules, ...
  std::string message;       // Event
  bool operator==(const ClusterRequest&) const = default;
};

// How a request ended.
struct RequestResult {
  bool ok = false;
  long status = 0;    // 0: no HTTP answer
  std::string error;  // operator-facing, when !ok
  // ReadLabel: what the CiliumNode holds, when it could be read. Label: the
  // object as the write left it, when the answer could be parsed.
  std::optional<CiliumNodeObservation> seen = std::nullopt;
};

// Sends `request` about `node`. `events` may be null (no --events: an Event
// request is then an error, never silently dropped).
RequestResult perform(KubeApi& api, EventReporter* events, const std::string& node,
                      const ClusterRequest& request);

// The Event message for a report's unexpected rules ("SOURCE TABLE: RULE").
std::string event_message(const Report& report);

// --dry-run: the requests a verdict would make, as text.
void print_dry_run(std::ostream& out, const std::string& server, const std::string& node,
                   bool events, const Report& report);

}  // namespace aim
