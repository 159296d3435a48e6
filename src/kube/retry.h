#pragma once
// When to try again, and after how long: the one place back-off is computed
// (API requests, the CiliumNode watch, the reconciler's label retries). Pure:
// randomness comes in as a number in [0,1) and time as arguments, so every
// path is tested with fixed numbers and a fake clock.
//
// Why jitter everywhere: nodes of a fleet meet the same API server restart at
// the same moment. Waits without randomness keep them in lockstep for ever
// (every node retries, reconnects and falls back in the same second).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace aim {

// A capped exponential back-off: the n-th wait in a row is drawn from
// [initial/2, min(initial * 2^(n-1), max)): full jitter above a floor of half
// the first step, so waits spread over the whole step without collapsing to
// near zero (a fleet hammering a starting server).
struct BackoffPolicy {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{60000};
};

class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy = {}) : policy_(policy) {}
  // Another failure in a row: the wait before the next try.
  std::chrono::milliseconds next(double random01);
  // Success (or a long enough quiet time): the next failure starts over.
  void reset() { failures_ = 0; }
  int failures() const { return failures_; }
  // The largest wait the next failure can draw.
  std::chrono::milliseconds ceiling() const { return step(failures_ + 1); }
  const BackoffPolicy& policy() const { return policy_; }

  // The ceiling of the `n`-th wait in a row (1 = the first).
  std::chrono::milliseconds step(int n) const;
  // A wait drawn for the `n`-th failure in a row.
  std::chrono::milliseconds draw(int n, double random01) const;

 private:
  BackoffPolicy policy_;
  int failures_ = 0;
};

// `period` stretched by a random factor in [1, 1 + spread): a period many
// nodes share (a watch's timeoutSeconds, as client-go randomises it between
// its minimum and twice that; a slow retry) no longer ends for all at once.
std::chrono::milliseconds spread_period(std::chrono::milliseconds period, double spread,
                                        double random01);

// A number in [0,1) from a per-thread generator seeded from the system.
double random_unit();

struct RetryPolicy {
  int max_attempts = 5;
  std::chrono::milliseconds base_delay{250};
  std::chrono::milliseconds max_delay{4000};
  // No retry is started once this much time has gone since the first try.
  std::chrono::milliseconds budget{20000};
};

// Transport failures (connect, TLS handshake, timeout, reset), 5xx and 429 are
// transient; everything else (2xx done, 4xx a problem retrying can't fix) is not.
bool is_transient(long http_status, bool transport_error);

// Delay before attempt `attempt` (1 = the first retry) within one request:
// Backoff's draw over base_delay..max_delay, or the server's Retry-After when
// it gave one, stretched by up to half (a fleet told "1" would otherwise come
// back in the same second), capped too.
std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int attempt,
                                      std::optional<int> retry_after_seconds, double random01);

// Retry-After as delay-seconds ("7"); HTTP dates are not used by the API
// server and are ignored.
std::optional<int> parse_retry_after(const std::string& value);

}  // namespace aim
