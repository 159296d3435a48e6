#include "service/event_loop.h"

#include <algorithm>
#include <cstdint>

namespace aim {

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
