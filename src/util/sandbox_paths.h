#pragma once
// The places the service's unit hides from it (systemd/
// azure-iptables-monitor.service: ProtectHome=yes, PrivateTmp=yes). A file
// there that a shell can read is not there for the service, so "does not
// exist" would be the wrong thing to tell: these name the hide and the fix.
// Pure (paths are compared as text). packaging/unit_file_test.cpp holds this
// list to the unit.
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace aim {

struct HiddenPlace {
  const char* dir;      // "/root"
  const char* setting;  // "ProtectHome=yes"
};
inline constexpr std::array<HiddenPlace, 5> kServiceHiddenPlaces = {{
    {"/home", "ProtectHome=yes"},
    {"/root", "ProtectHome=yes"},
    {"/run/user", "ProtectHome=yes"},
    {"/tmp", "PrivateTmp=yes"},
    {"/var/tmp", "PrivateTmp=yes"},
}};

// The place hiding `path` (an absolute path; "/rooted" is not under "/root"),
// or nullopt. A relative path is taken as seen from / (the service's working
// directory).
std::optional<HiddenPlace> hidden_from_service(std::string_view path);

// For the service, about `what` ("kubeconfig", "client-certificate") at
// `path` under `place`: it cannot see it, why, and what to do.
std::string hidden_from_service_message(const std::string& what, const std::string& path,
                                        const HiddenPlace& place);

// For a command run by hand that used paths under `place` (`used`: "kubeconfig
// /tmp/k, client-certificate /tmp/c"): the service would not see them.
std::string service_cannot_see_message(const std::string& used, const HiddenPlace& place);

}  // namespace aim
