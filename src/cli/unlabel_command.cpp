#include "cli/unlabel_command.h"

#include <chrono>

#include "kube/events.h"
#include "kube/kube_api.h"
#include "kube/kubeconfig.h"
#include "service/unit_state.h"

namespace aim {
namespace {

constexpr const char* kPrefix = "azure-iptables-monitor: ";

}  // namespace

std::string kubectl_unlabel_command(const std::string& node) {
  return "kubectl label ciliumnode " + (node.empty() ? std::string("NODE") : node) + " " +
         kLabelKey + "-";
}

int run_unlabel_command(const GlobalOptions& global, const std::string& node_origin,
                        const ServiceRunning& service_running, std::ostream& out,
                        std::ostream& err) {
  const std::string& node = global.node_name;
  if (service_running && service_running() == true) {
    err << kPrefix << "error: the service runs on this host (" << kServiceUnit
        << " is active): its watch would set the label again within a second, so nothing was "
           "sent. Stop it first (systemctl stop azure-iptables-monitor), then run unlabel again; "
           "removing the package does both\n";
    return 2;
  }
  // Bounded: package removal waits for this. One request timeout per try,
  // retries (transient failures only) within twice that.
  const auto timeout =
      std::chrono::milliseconds(static_cast<long long>(global.request_timeout_seconds * 1000));
  RetryPolicy policy;
  policy.max_attempts = 3;
  policy.budget = 2 * timeout;
  HttpKubeApi api(warning_if_insecure(
                      [&] { return resolve_credentials(global.kubeconfig); },
                      [&](const std::string& w) { err << kPrefix << "WARNING: " << w << '\n'; }),
                  timeout, policy);
  const ApiOutcome outcome = api.remove_label(node);
  const std::string what = std::string("the label ") + kLabelKey + " of CiliumNode " + node +
                           (node_origin.empty() ? "" : " (the node named by " + node_origin + ")");
  if (outcome.ok) {
    out << kPrefix << "removed " << what << '\n';
    return 0;
  }
  if (outcome.status == 404) {
    out << kPrefix << "CiliumNode " << node
        << " does not exist: there is no label to remove (check the node name if it should)\n";
    return 0;
  }
  err << kPrefix << "error: could not remove " << what << ": " << outcome.error
      << "\nremove it from a machine with access to the cluster: " << kubectl_unlabel_command(node)
      << '\n';
  return 2;
}

}  // namespace aim
