#pragma once
// What /healthz answers (--listen), decided from what the loop last did, not
// from the server thread's own state: healthy when the event loop turned
// within its bound (a stuck loop answers nothing else: no check, no label,
// no watchdog) and a check finished within its bound (a check stuck in a
// read or in matching). Pure: times in, an answer out.
#include <chrono>
#include <string>

namespace aim {

struct HealthBounds {
  // The loop's heartbeat timer stamps every kHeartbeat; missing ten in a
  // row is a stuck loop, not a busy one (nothing on the loop blocks).
  std::chrono::steady_clock::duration loop{std::chrono::seconds(10)};
  std::chrono::steady_clock::duration check{std::chrono::minutes(11)};
};

inline constexpr std::chrono::seconds kHeartbeat{1};

// The bounds for a service checking every `interval_seconds`: a check
// finishes at least every interval, or sooner; twice that (at least
// kMinCheckSpacing, so that a short --interval does not turn a slow read
// into a restart) plus `longest_check` (the longest a check may run before
// its own bounds make it end `unknown`).
inline constexpr std::chrono::minutes kMinCheckSpacing{5};
HealthBounds health_bounds(double interval_seconds, std::chrono::seconds longest_check);

struct Health {
  bool ok = false;
  std::string reason;  // one line: "ok", or what is stale and by how much
};

// `last_loop_turn`, `last_check`: when the loop last stamped its heartbeat
// and when a check last finished (the start time until the first one).
Health decide_health(std::chrono::steady_clock::time_point now,
                     std::chrono::steady_clock::time_point last_loop_turn,
                     std::chrono::steady_clock::time_point last_check, const HealthBounds& bounds);

}  // namespace aim
