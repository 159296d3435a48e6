#pragma once
// Whether the service's systemd unit is running, asked of the system manager
// over D-Bus. Hand-run commands that would be undone by a running service
// (`unlabel`: its watch puts the label back within a second) ask first.
#include <chrono>
#include <optional>
#include <string>

namespace aim {

// The unit the packages install.
inline constexpr const char* kServiceUnit = "azure-iptables-monitor.service";

// true: active, activating or reloading; false: any other state (inactive,
// failed, deactivating, not loaded). nullopt: no answer within `timeout`, or
// no system bus (a container without systemd): the caller cannot tell.
std::optional<bool> systemd_unit_running(const std::string& unit,
                                         std::chrono::milliseconds timeout);

}  // namespace aim
