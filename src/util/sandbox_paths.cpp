#include "util/sandbox_paths.h"

namespace aim {
namespace {

// What to do about a path under `place`. ProtectHome= may be relaxed to
// read-only in a drop-in (the docs say why the unit does not do so itself);
// a private /tmp cannot be shared, so the file has to move.
std::string fix(const HiddenPlace& place, const char* them) {
  const std::string_view setting = place.setting;
  std::string text = "move " + std::string(them) + " out of " + std::string(place.dir) +
                     " (the kubelet's credentials live in /var/lib/kubelet and /etc/kubernetes)";
  if (setting.rfind("ProtectHome=", 0) == 0)
    text +=
        ", or let the service read home directories: systemctl edit azure-iptables-monitor, add "
        "[Service] ProtectHome=read-only, then systemctl restart azure-iptables-monitor";
  return text;
}

std::string why(const HiddenPlace& place) {
  const std::string_view setting = place.setting;
  if (setting.rfind("PrivateTmp=", 0) == 0)
    return "the unit gives the service a private " + std::string(place.dir) + " (" + place.setting +
           ")";
  return "the unit hides " + std::string(place.dir) + " from the service (" + place.setting + ")";
}

}  // namespace

std::optional<HiddenPlace> hidden_from_service(std::string_view path) {
  std::string absolute(path);
  if (absolute.empty()) return std::nullopt;
  if (absolute.front() != '/') absolute = "/" + absolute;
  // "//root/x", "/./root/x" and "/var/../root/x" are /root/x to the kernel
  // (symbolic links are not followed: the text is what is compared).
  std::string clean;
  for (size_t i = 0; i < absolute.size();) {
    size_t end = absolute.find('/', i + 1);
    if (end == std::string::npos) end = absolute.size();
    const std::string_view part = std::string_view(absolute).substr(i + 1, end - i - 1);
    if (part == "..")
      clean.erase(clean.empty() ? 0 : clean.rfind('/'));
    else if (!part.empty() && part != ".")
      clean += "/" + std::string(part);
    i = end;
  }
  for (const HiddenPlace& place : kServiceHiddenPlaces) {
    const std::string_view dir = place.dir;
    if (clean.rfind(dir, 0) == 0 && (clean.size() == dir.size() || clean[dir.size()] == '/'))
      return place;
  }
  return std::nullopt;
}

std::string hidden_from_service_message(const std::string& what, const std::string& path,
                                        const HiddenPlace& place) {
  return what + " " + path + " cannot be seen by the service: " + why(place) +
         ", so the file is not there for it even when a shell reads it; " + fix(place, "it");
}

std::string service_cannot_see_message(const std::string& used, const HiddenPlace& place) {
  return "the service cannot see " + used + ": " + why(place) +
         ", so with this configuration it would not find them; " + fix(place, "them");
}

}  // namespace aim
