#pragma once
// The send rate of one provider endpoint: the job's rpm and tpm as token buckets that never let
// a 60 s window exceed them, and an adaptive rate for a limit nobody told us about, learnt from
// 429s (AIMD) and from x-ratelimit-* headers. Pure: every call is given the time.
//
// The coordinator asks try_acquire() before dispatching a task; when it says no, it waits until
// next_ready(). It reports each attempt's outcome back.

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "providers/pacer.hpp"
#include "providers/rate_headers.hpp"
#include "providers/sliding_count.hpp"

namespace parallm::providers {

class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;
  struct options {
    double rpm = 0;        // requests per minute; 0 = no limit
    double tpm = 0;        // tokens per minute; 0 = no limit
    bool adaptive = true;  // learn from 429s and rate headers
  };

  explicit rate_limiter(options opts);

  // Charges the buckets and returns true when a task of that many tokens may go now.
  bool try_acquire(std::uint64_t estimated_tokens, clock::time_point now) {
    if (!engaged_) {
      if (opts_.adaptive) sent_.add(now);
      return true;
    }
    return acquire_engaged(estimated_tokens, now);
  }

  // What holds a call back: the job's limits, the 429 backoff, or one of the endpoint's
  // rate-limit headers.
  enum class hold_cause { rpm, tpm, backoff, requests_header, tokens_header };
  struct hold {
    hold_cause cause = hold_cause::rpm;
    clock::time_point until;
  };

  // Why and until when a task of that many tokens must wait (the latest of everything that
  // holds it back); nullopt when try_acquire() would say yes now.
  std::optional<hold> holding(std::uint64_t estimated_tokens, clock::time_point now) const;

  // When try_acquire() will next say yes for that many tokens (now when it would now).
  clock::time_point next_ready(std::uint64_t estimated_tokens, clock::time_point now) const {
    const auto held = holding(estimated_tokens, now);
    return held ? held->until : now;
  }

  // What to call a cause in a message: "limits.rpm", "429 backoff", or the header whose reset
  // decides the wait ("x-ratelimit-reset-requests", "anthropic-ratelimit-tokens-reset").
  std::string_view name(hold_cause cause) const;

  // From the usage a call reported: positive when it used more tokens than estimated.
  void correct_tokens(std::int64_t actual_minus_estimate);

  void on_success(clock::time_point now);

  // A 429 for a call sent at sent_at. The call's own wait (Retry-After) is the retry policy's
  // floor; here the endpoint's rate is cut, once per overshoot: 429s for calls sent before the
  // last cut report the rate that cut already corrected.
  void on_rate_limited(clock::time_point sent_at, clock::time_point now);

  // x-ratelimit-*: with a limit, a bucket refilling at (limit - remaining) / reset that holds
  // what remains; without one, what is left is spread until the reset, nothing left pauses
  // until it.
  void on_rate_headers(const rate_headers& headers, clock::time_point now);

  // Requests per second the adaptive part allows; +inf when it does not limit.
  double current_rate() const { return rate_; }

 private:
  static constexpr double unlimited = std::numeric_limits<double>::infinity();

  bool acquire_engaged(std::uint64_t estimated_tokens, clock::time_point now);
  void refresh_engaged(clock::time_point now);

  options opts_;
  bool engaged_ = false;  // false: nothing can refuse, try_acquire() only counts
  pacer rpm_;
  pacer tpm_;
  pacer adaptive_;
  pacer header_requests_;
  pacer header_tokens_;
  clock::time_point header_requests_until_{};
  clock::time_point header_tokens_until_{};
  clock::time_point paused_until_{};
  hold_cause paused_by_ = hold_cause::requests_header;
  // The headers that set the header causes' pace (rate_headers' names, static strings).
  std::string_view requests_header_ = "x-ratelimit-reset-requests";
  std::string_view tokens_header_ = "x-ratelimit-reset-tokens";
  sliding_count sent_;
  double rate_ = unlimited;
  double cut_from_ = unlimited;  // the rate that drew the last 429
  clock::time_point last_cut_ = clock::time_point::min();
};

// A cost estimate before the call: about four characters a token, plus the completion budget.
std::uint64_t estimate_tokens(std::string_view prompt, std::optional<int> max_tokens);

}  // namespace parallm::providers
