#include "service/runtime.h"

namespace aim {

Result<Runtime> runtime_from(const char* aim_runtime, const char* invocation_id) {
  if (aim_runtime && *aim_runtime) {
    if (std::string_view(aim_runtime) == "pod") return Runtime::Pod;
    return Error{"AIM_RUNTIME=" + std::string(aim_runtime) +
                     ": unknown; \"pod\" (the container image sets it) or unset",
                 EINVAL};
  }
  if (invocation_id && *invocation_id) return Runtime::Unit;
  return Runtime::Manual;
}

std::string who_restarts(Runtime runtime) {
  switch (runtime) {
    case Runtime::Unit:
      return "systemd restarts the service";
    case Runtime::Pod:
      return "the kubelet restarts the container";
    case Runtime::Manual:
      break;
  }
  return {};
}

std::string config_exit_note(Runtime runtime) {
  if (runtime == Runtime::Pod)
    return "Exit status 78: a restart cannot fix this; change the DaemonSet (the kubelet "
           "restarts the container with back-off meanwhile).";
  return "Not restarting (exit status 78).";
}

std::string node_name_hint(Runtime runtime, std::string_view local_environment_file) {
  if (runtime == Runtime::Pod)
    return "set NODE_NAME from the downward API in the DaemonSet (env: name NODE_NAME, "
           "valueFrom.fieldRef.fieldPath spec.nodeName, as etc/kubernetes/daemonset.yaml does) "
           "or pass --node-name";
  return "set NODE_NAME (in " + std::string(local_environment_file) + ") or --node-name";
}

}  // namespace aim
