#include "kube/retry.h"

#include <algorithm>
#include <cctype>

namespace aim {

bool is_transient(long http_status, bool transport_error) {
  if (transport_error) return true;
  return http_status == 429 || (http_status >= 500 && http_status <= 599);
}

std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int attempt,
                                      std::optional<int> retry_after_seconds, double random01) {
  if (retry_after_seconds)
    return std::min<std::chrono::milliseconds>(std::chrono::seconds(*retry_after_seconds),
                                               policy.max_delay);
  const int shift = std::clamp(attempt - 1, 0, 20);
  const auto ceiling = std::min<std::chrono::milliseconds>(policy.base_delay * (1LL << shift),
                                                           policy.max_delay);
  // Full jitter, but never less than half the step: nodes spread out without
  // hammering the API server with near-zero delays.
  const double fraction = 0.5 + 0.5 * std::clamp(random01, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(ceiling.count() * fraction));
}

std::optional<int> parse_retry_after(const std::string& value) {
  std::string v;
  for (char c : value)
    if (!std::isspace(static_cast<unsigned char>(c))) v += c;
  if (v.empty() || v.size() > 6 || !std::all_of(v.begin(), v.end(), ::isdigit)) return std::nullopt;
  return std::stoi(v);
}

}  // namespace aim
