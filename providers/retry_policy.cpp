#include "providers/retry_policy.hpp"

#include <algorithm>

namespace parallm::providers {

namespace {

// initial * 2^(attempts_made - 1), capped at max without ever overflowing the shift or the
// multiplication: the cap is reached long before 2^62 for any sane configuration.
std::chrono::milliseconds backoff_cap(const retry_policy& policy, int attempts_made) {
  const auto initial = std::max<std::int64_t>(policy.initial.count(), 0);
  const auto max = std::max<std::int64_t>(policy.max.count(), 0);
  const int doublings = std::max(attempts_made, 1) - 1;
  if (initial == 0) return std::chrono::milliseconds{0};
  if (doublings >= 62 || initial > (max >> doublings)) return std::chrono::milliseconds{max};
  return std::chrono::milliseconds{initial << doublings};
}

}  // namespace

std::optional<std::chrono::milliseconds> retry_delay(
    const retry_policy& policy, int attempts_made,
    std::optional<std::chrono::milliseconds> retry_after, double random_unit) {
  if (attempts_made > policy.max_retries) return std::nullopt;
  // Written so that NaN falls to 0 instead of reaching the integer conversion.
  const double unit = random_unit > 0.0 ? std::min(random_unit, 1.0) : 0.0;
  const auto cap = backoff_cap(policy, attempts_made);
  std::chrono::milliseconds delay{
      static_cast<std::int64_t>(unit * static_cast<double>(cap.count()))};
  if (retry_after) delay = std::max(delay, *retry_after);
  return delay;
}

}  // namespace parallm::providers
