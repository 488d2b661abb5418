#pragma once
// The injected clock of the rate limiter suites: a fixed start, and times read back as seconds
// after it.

#include <chrono>

#include "providers/rate_limiter.hpp"

namespace parallm::test {

using clock_type = providers::rate_limiter::clock;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

inline const clock_type::time_point t0{std::chrono::hours{1}};

inline double seconds_after_t0(clock_type::time_point t) {
  return std::chrono::duration<double>(t - t0).count();
}

}  // namespace parallm::test
