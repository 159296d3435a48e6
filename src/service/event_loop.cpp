#include "service/event_loop.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace aim {

Result<EventSource> add_timer(sd_event* loop, sd_event_time_handler_t handler, void* userdata,
                              const char* what) {
  sd_event_source* source = nullptr;
  // Accuracy 1 ms: checks and retries are due to the millisecond, not the
  // loop's default 250 ms folding.
  if (const int r = sd_event_add_time(loop, &source, CLOCK_MONOTONIC, 0, 1000, handler, userdata);
      r < 0)
    return Error{std::string("cannot create ") + what + " (sd_event_add_time)", -r};
  EventSource timer(source);
  if (const int r = sd_event_source_set_enabled(source, SD_EVENT_OFF); r < 0)
    return Error{std::string("cannot create ") + what + " (sd_event_source_set_enabled)", -r};
  return timer;
}

Status arm_at(sd_event_source* timer, std::chrono::steady_clock::time_point at) {
  const auto usec = std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch());
  const uint64_t when = static_cast<uint64_t>(std::max<int64_t>(1, usec.count()));
  if (const int r = sd_event_source_set_time(timer, when); r < 0)
    return Error{"cannot set a timer's time (sd_event_source_set_time)", -r};
  if (const int r = sd_event_source_set_enabled(timer, SD_EVENT_ONESHOT); r < 0)
    return Error{"cannot arm a timer (sd_event_source_set_enabled)", -r};
  return Ok{};
}

}  // namespace aim
