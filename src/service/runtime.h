#pragma once
// Who runs the service, so that its messages name the operator's levers:
// the package's unit (systemd restarts it; settings in the environment
// file) or a pod (the kubelet restarts the container; settings in the
// DaemonSet, the node's name from the downward API, allowlists from
// ConfigMaps). Never guessed: the image says so (AIM_RUNTIME=pod, set in the
// image's configuration by scripts/build-image.sh); systemd marks its units
// (INVOCATION_ID). Pure.
#include <string>
#include <string_view>

#include "util/result.h"

namespace aim {

enum class Runtime {
  Unit,    // the package's systemd unit
  Pod,     // the container image, run by the kubelet (or podman)
  Manual,  // by hand, or by something else
};

// From $AIM_RUNTIME ("pod", or unset/empty) and $INVOCATION_ID (set for a
// unit's processes); nullptr is unset. Any other AIM_RUNTIME is an error
// saying what is known.
Result<Runtime> runtime_from(const char* aim_runtime, const char* invocation_id);

// Who starts the service again after it stopped with a failure, for
// messages: "systemd restarts the service", "the kubelet restarts the
// container"; empty by hand.
std::string who_restarts(Runtime runtime);
// The end of a message about an exit that a restart cannot fix (exit status
// 78): "Not restarting (exit status 78)." for the unit; in a pod the kubelet
// restarts the container anyway, so it says what to change instead.
std::string config_exit_note(Runtime runtime);
// How to set NODE_NAME here: the local environment file for the unit, the
// downward API for a pod.
std::string node_name_hint(Runtime runtime, std::string_view local_environment_file);

}  // namespace aim
