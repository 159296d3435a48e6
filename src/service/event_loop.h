#pragma once
// The sd-event handles the service holds (RAII) and the one way a timer is
// armed.
#include <systemd/sd-event.h>

#include <cerrno>
#include <chrono>
#include <memory>

#include "util/result.h"

namespace aim {

struct EventLoopDeleter {
  void operator()(sd_event* e) const { sd_event_unref(e); }
};
struct EventSourceDeleter {
  void operator()(sd_event_source* s) const { sd_event_source_disable_unref(s); }
};
using EventLoop = std::unique_ptr<sd_event, EventLoopDeleter>;
using EventSource = std::unique_ptr<sd_event_source, EventSourceDeleter>;

// Creates a timer on `loop` (CLOCK_MONOTONIC), off until arm_at() arms it;
// `handler` gets `userdata`. An error says `what` could not be created.
Result<EventSource> add_timer(sd_event* loop, sd_event_time_handler_t handler, void* userdata,
                              const char* what);

// Arms `timer` (a CLOCK_MONOTONIC time source: steady_clock's clock) to fire
// once at `at`; a time already past fires at the loop's next turn. An error
// names the sd-event call that refused and why.
Status arm_at(sd_event_source* timer, std::chrono::steady_clock::time_point at);

// A failed step as the loop's error callbacks take it (sd-event's own
// convention): a negative errno, EINVAL when the error carries none.
template <typename T>
int negative_errno(const Result<T>& failed) {
  return -(failed.error_code() ? failed.error_code() : EINVAL);
}

}  // namespace aim
