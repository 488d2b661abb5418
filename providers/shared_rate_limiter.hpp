#pragma once
// One endpoint's rate limiter shared by the batches that call it, which a coordinator process
// may run on several scheduler threads at once: the job's rpm/tpm hold for all of them
// together. Each operation takes the lock once, so what a dispatch decides about a call is
// decided on one state of the limiter.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>

#include "providers/rate_limiter.hpp"

namespace parallm::providers {

class shared_rate_limiter {
 public:
  using clock = rate_limiter::clock;

  explicit shared_rate_limiter(rate_limiter::options opts) : limiter_(opts) {}

  // What try_acquire_or_hold() decided: acquired (the buckets are charged), or held back,
  // with what holds the call and until when when the limiter can tell (held_by is
  // rate_limiter::name() of its cause; a static string).
  struct decision {
    bool acquired = false;
    std::optional<rate_limiter::hold> held;
    std::string_view held_by;
  };

  // rate_limiter::try_acquire(), and when it says no, rate_limiter::holding() and its name,
  // under one lock: another batch cannot take the slot in between.
  decision try_acquire_or_hold(std::uint64_t estimated_tokens, clock::time_point now) {
    const std::lock_guard lock(mutex_);
    decision out;
    out.acquired = limiter_.try_acquire(estimated_tokens, now);
    if (!out.acquired) {
      out.held = limiter_.holding(estimated_tokens, now);
      if (out.held) out.held_by = limiter_.name(out.held->cause);
    }
    return out;
  }

  void correct_tokens(std::int64_t actual_minus_estimate) {
    const std::lock_guard lock(mutex_);
    limiter_.correct_tokens(actual_minus_estimate);
  }

  void on_success(clock::time_point now) {
    const std::lock_guard lock(mutex_);
    limiter_.on_success(now);
  }

  void on_rate_limited(clock::time_point sent_at, clock::time_point now) {
    const std::lock_guard lock(mutex_);
    limiter_.on_rate_limited(sent_at, now);
  }

  void on_rate_headers(const rate_headers& headers, clock::time_point now) {
    const std::lock_guard lock(mutex_);
    limiter_.on_rate_headers(headers, now);
  }

 private:
  std::mutex mutex_;
  rate_limiter limiter_;
};

}  // namespace parallm::providers
