#pragma once
// --listen for the service: /metrics and /healthz served by HttpServer on
// its own thread, which never touches the loop's state. The loop publishes
// what the server reads, in atomics: a heartbeat (a timer on the loop
// stamps the time every kHeartbeat, so a stuck loop stops stamping) and the
// time the last check finished. /metrics renders ServiceMetrics (thread-
// safe), the same text the metrics file gets. /healthz decides from the
// stamps (service/health.h), so it fails when the loop or the checks are
// stuck while this thread still runs.
#include <systemd/sd-event.h>

#include <atomic>
#include <chrono>
#include <memory>

#include "log/logger.h"
#include "metrics/metrics_file.h"
#include "service/event_loop.h"
#include "service/health.h"
#include "service/http_server.h"
#include "util/listen_address.h"

namespace aim {

class HealthEndpoint {
 public:
  HealthEndpoint(HealthBounds bounds, ServiceMetrics& metrics, Logger& log)
      : bounds_(bounds), metrics_(metrics), log_(log) {}

  // On the loop thread, before the loop runs: the heartbeat timer and the
  // server. An error says why (the address, the loop).
  Status start(sd_event* loop, const ListenAddress& address);
  // Stops the server (no request is answered after it) and the heartbeat.
  void stop();

  // On the loop thread: a check finished.
  void check_finished() { last_check_.store(now_ticks(), std::memory_order_relaxed); }

  // Any thread: what /healthz answers now.
  Health health() const;

 private:
  using Clock = std::chrono::steady_clock;
  static Clock::rep now_ticks() { return Clock::now().time_since_epoch().count(); }
  static int on_heartbeat(sd_event_source* source, uint64_t, void* self);

  HealthBounds bounds_;
  ServiceMetrics& metrics_;
  Logger& log_;
  EventSource heartbeat_;
  std::unique_ptr<HttpServer> server_;
  // Written by the loop thread, read by the server's.
  std::atomic<Clock::rep> loop_turn_{now_ticks()};
  std::atomic<Clock::rep> last_check_{now_ticks()};  // the start, until the first check
};

}  // namespace aim
