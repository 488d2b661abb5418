#pragma once
// When to try a failed call again: exponential backoff with full jitter, with the server's
// Retry-After as a floor. Pure: the randomness is passed in.

#include <chrono>
#include <cstdint>
#include <optional>

namespace parallm::providers {

struct retry_policy {
  int max_retries = 4;
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{30000};
};

// attempts_made: how many attempts have failed so far (>= 1). Returns the delay before the
// next attempt, or nullopt when no retry is left. random_unit is in [0, 1).
std::optional<std::chrono::milliseconds> retry_delay(
    const retry_policy& policy, int attempts_made,
    std::optional<std::chrono::milliseconds> retry_after, double random_unit);

}  // namespace parallm::providers
