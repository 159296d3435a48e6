#include "service/health_endpoint.h"

#include <cstring>

namespace aim {

Status HealthEndpoint::start(sd_event* loop, const ListenAddress& address) {
  loop_turn_ = now_ticks();
  last_check_ = now_ticks();
  sd_event_source* source = nullptr;
  // Fires at the loop's first turn, then arm_at() re-arms it. Accuracy a
  // tenth of the period: the loop may fold it with other wakeups.
  const int r = sd_event_add_time(
      loop, &source, CLOCK_MONOTONIC, 1,
      std::chrono::duration_cast<std::chrono::microseconds>(kHeartbeat).count() / 10,
      &HealthEndpoint::on_heartbeat, this);
  if (r < 0)
    return Error{std::string("cannot create the heartbeat timer: ") + std::strerror(-r), -r};
  heartbeat_.reset(source);
  auto server = HttpServer::start(
      address,
      [this](std::string_view method, std::string_view path) {
        return answer_request(
            method, path, [this] { return health(); }, [this] { return metrics_.render(); });
      },
      log_);
  if (!server) return Error{server.error(), server.error_code()};
  server_ = std::move(*server);
  log_.info(0, "serving /metrics and /healthz on http://" + address.text);
  return Ok{};
}

void HealthEndpoint::stop() {
  server_.reset();
  heartbeat_.reset();
}

int HealthEndpoint::on_heartbeat(sd_event_source* source, uint64_t, void* self) {
  auto* endpoint = static_cast<HealthEndpoint*>(self);
  endpoint->loop_turn_.store(now_ticks(), std::memory_order_relaxed);
  // A timer the loop cannot re-arm would read as a stuck loop: /healthz
  // then fails, which is the truth about a loop that cannot arm timers.
  if (Status armed = arm_at(source, Clock::now() + kHeartbeat); !armed)
    endpoint->log_.error(armed.error() + ": the heartbeat stops, so /healthz fails");
  return 0;
}

Health HealthEndpoint::health() const {
  const auto at = [](Clock::rep ticks) { return Clock::time_point(Clock::duration(ticks)); };
  return decide_health(Clock::now(), at(loop_turn_.load(std::memory_order_relaxed)),
                       at(last_check_.load(std::memory_order_relaxed)), bounds_);
}

}  // namespace aim
