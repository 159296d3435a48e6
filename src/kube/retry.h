#pragma once
// When to try an API request again, and after how long. Pure.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace aim {

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

// Delay before attempt `attempt` (1 = the first retry): capped exponential
// backoff with full jitter (`random01` in [0,1)), or the server's
// Retry-After when it gave one (capped too).
std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int attempt,
                                      std::optional<int> retry_after_seconds, double random01);

// Retry-After as delay-seconds ("7"); HTTP dates are not used by the API
// server and are ignored.
std::optional<int> parse_retry_after(const std::string& value);

}  // namespace aim
