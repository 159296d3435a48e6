// The CiliumNode watch stream and list answers: bytes from the API server,
// split into lines and parsed. Never a crash; a line never exceeds the cap or
// holds a newline; an event about an object says whether it exists the way
// its type does.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kube/ciliumnode_watch_events.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr size_t kCap = 4096;
  aim::LineSplitter lines(kCap);
  // Chunks of varying size, as a network delivers them.
  size_t at = 0, step = 1;
  while (at < input.size()) {
    const std::string_view chunk = input.substr(at, step);
    at += chunk.size();
    step = step * 3 % 17 + 1;
    auto fed = lines.feed(chunk, [](std::string_view line) {
      if (line.size() > kCap || line.find('\n') != std::string_view::npos) std::abort();
      auto event = aim::parse_watch_event(line, "node1");
      if (event) {
        using Type = aim::WatchEvent::Type;
        const bool about_object = event->type == Type::Added || event->type == Type::Modified;
        if (about_object && !event->object.exists) std::abort();
        if (event->type == Type::Deleted && event->object.exists) std::abort();
        if (event->type != Type::Error && event->resource_version.empty()) std::abort();
      }
      return true;
    });
    if (!fed) break;
  }
  if (lines.pending() > kCap) std::abort();
  auto list = aim::parse_ciliumnode_list(input, "node1");
  if (list && list->resource_version.empty()) std::abort();
  return 0;
}
