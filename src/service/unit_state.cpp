#include "service/unit_state.h"

#include <systemd/sd-bus.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

namespace aim {
namespace {

struct BusClose {
  void operator()(sd_bus* bus) const { sd_bus_flush_close_unref(bus); }
};
struct Free {
  void operator()(char* p) const { std::free(p); }
};

using Bus = std::unique_ptr<sd_bus, BusClose>;

// As root, systemd's own socket (what systemctl uses): it answers without a
// D-Bus daemon. Else, or when it cannot be had, the system bus.
Bus connect_to_systemd() {
  sd_bus* raw = nullptr;
  if (geteuid() == 0 && sd_bus_new(&raw) >= 0) {
    Bus bus(raw);
    if (sd_bus_set_address(raw, "unix:path=/run/systemd/private") >= 0 && sd_bus_start(raw) >= 0)
      return bus;
  }
  raw = nullptr;
  if (sd_bus_open_system(&raw) < 0) return nullptr;
  return Bus(raw);
}

}  // namespace

std::optional<bool> systemd_unit_running(const std::string& unit,
                                         std::chrono::milliseconds timeout) {
  Bus bus = connect_to_systemd();
  if (!bus) return std::nullopt;
  // Every call below waits at most this long (the default is 25 s).
  const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  if (sd_bus_set_method_call_timeout(bus.get(), static_cast<uint64_t>(usec)) < 0)
    return std::nullopt;
  char* raw_path = nullptr;
  if (sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit.c_str(), &raw_path) < 0)
    return std::nullopt;
  std::unique_ptr<char, Free> path(raw_path);
  sd_bus_error error = SD_BUS_ERROR_NULL;
  char* raw_state = nullptr;
  const int r = sd_bus_get_property_string(bus.get(), "org.freedesktop.systemd1", path.get(),
                                           "org.freedesktop.systemd1.Unit", "ActiveState", &error,
                                           &raw_state);
  sd_bus_error_free(&error);
  if (r < 0) return std::nullopt;
  std::unique_ptr<char, Free> state(raw_state);
  const std::string s = state.get();
  return s == "active" || s == "activating" || s == "reloading";
}

}  // namespace aim
