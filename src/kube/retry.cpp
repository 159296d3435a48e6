#include "kube/retry.h"

#include <algorithm>
#include <cctype>
#include <random>

namespace aim {

std::chrono::milliseconds Backoff::step(int n) const {
  const int shift = std::clamp(n - 1, 0, 30);
  // Doubling in floating point: no overflow however long a failure lasts.
  const double ceiling = std::min<double>(
      static_cast<double>(policy_.initial.count()) * static_cast<double>(1LL << shift),
      static_cast<double>(policy_.max.count()));
  return std::chrono::milliseconds(static_cast<long long>(ceiling));
}

std::chrono::milliseconds Backoff::draw(int n, double random01) const {
  const double ceiling = static_cast<double>(step(n).count());
  const double floor = std::min(ceiling, static_cast<double>(policy_.initial.count()) / 2.0);
  const double r = std::clamp(random01, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(floor + (ceiling - floor) * r));
}

std::chrono::milliseconds Backoff::next(double random01) {
  ++failures_;
  return draw(failures_, random01);
}

std::chrono::milliseconds spread_period(std::chrono::milliseconds period, double spread,
                                        double random01) {
  const double r = std::clamp(random01, 0.0, 1.0);
  return std::chrono::milliseconds(
      static_cast<long long>(static_cast<double>(period.count()) * (1.0 + spread * r)));
}

double random_unit() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

bool is_transient(long http_status, bool transport_error) {
  if (transport_error) return true;
  return http_status == 429 || (http_status >= 500 && http_status <= 599);
}

std::chrono::milliseconds retry_delay(const RetryPolicy& policy, int attempt,
                                      std::optional<int> retry_after_seconds, double random01) {
  if (retry_after_seconds)
    return std::min<std::chrono::milliseconds>(
        spread_period(std::chrono::seconds(*retry_after_seconds), 0.5, random01), policy.max_delay);
  return Backoff({policy.base_delay, policy.max_delay}).draw(attempt, random01);
}

std::optional<int> parse_retry_after(const std::string& value) {
  std::string v;
  for (char c : value)
    if (!std::isspace(static_cast<unsigned char>(c))) v += c;
  if (v.empty() || v.size() > 6 || !std::all_of(v.begin(), v.end(), ::isdigit)) return std::nullopt;
  return std::stoi(v);
}

}  // namespace aim
