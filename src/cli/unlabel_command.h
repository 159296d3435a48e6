#pragma once
// `unlabel`: remove the label from this node's CiliumNode with the node's own
// credentials, for when the service goes away for good (package removal runs
// it after the unit has stopped: a running service's watch would put the
// label back at once).
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "cli/options.h"

namespace aim {

// What to run elsewhere when this host cannot remove the label itself: a
// kubectl command for `node` ("NODE" when unknown).
std::string kubectl_unlabel_command(const std::string& node);

// Whether the service runs on this host (service/unit_state.h; nullopt:
// cannot tell).
using ServiceRunning = std::function<std::optional<bool>()>;

// Sends one merge patch setting the label to null (retried within a short
// budget). 0: removed, or there is no such CiliumNode (nothing to remove);
// 2: it could not, saying why and the kubectl command that would, or the
// service runs here (its watch would set the label again at once: nothing
// is sent). `node_origin` says where the node name came from, for the
// message.
int run_unlabel_command(const GlobalOptions& global, const std::string& node_origin,
                        const ServiceRunning& service_running, std::ostream& out,
                        std::ostream& err);

}  // namespace aim
