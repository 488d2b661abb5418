#include "providers/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace parallm::providers {

namespace {

using clock = rate_limiter::clock;

// A configured bucket holds a tenth of a second of its limit, at least one unit: a full bucket
// released at once is a burst that a per-second limiter upstream absorbs (1200 rpm holds 2
// requests; nginx limit_req burst=5 takes 6 from idle). Its refill is lowered by depth - 1 per
// minute, so that a full bucket plus a refill lasting under 60 s stays within the limit: no
// half-open 60 s window ever holds more than the limit.
void configure(pacer& bucket, double per_minute) {
  const double depth = std::max(1.0, std::floor(per_minute / 600));
  bucket.set((per_minute - depth + 1) / 60, depth);
}

// AIMD for a limit we must discover. A 429 cuts to 90% of the rate that drew it (the lower of
// what we allowed and what we really sent during the last second, so the first cut is
// measured, not guessed). Each success adds 0.03 requests/s, which grows the rate by about 3%
// a second at any scale: after a cut to 90% the rate is back at the limit in a few seconds,
// while the server's own burst allowance absorbs the overshoot, so 429s stay rare.
constexpr double decrease = 0.9;
constexpr double increase_per_success = 0.03;
// Half an interval of slack absorbs a timer that fires late, without a burst of two.
constexpr double adaptive_depth = 1.5;
// Twice the rate that drew the last 429 with no new one: the limit has moved or gone.
constexpr double recovered = 2.0;
constexpr double min_rate = 1.0 / 60;

constexpr std::uint64_t default_completion_tokens = 256;

// x-ratelimit-* headers of one kind (requests or tokens). With a limit, OpenAI's meaning: a
// bucket of `limit` that refills continuously, holds `remaining` now and is full again after
// `reset`, so it refills at (limit - remaining) / reset. It is modelled as such a bucket that
// holds at most `remaining`: the header tells what the server held when it admitted its call,
// not the calls sent since, which the model has already charged. The model holds until a later
// header replaces it, not until the reset: calls sent meanwhile keep the real bucket from filling,
// and a full model lets only `limit` go at once, as the server does.
// Without a limit the reset may end a fixed window: what is left is spread until the reset and
// nothing left pauses until it.
struct pause {
  clock::time_point& until;
  rate_limiter::hold_cause& cause;
};

void pace(pacer& bucket, clock::time_point& until, pause paused, rate_limiter::hold_cause cause,
          std::optional<double> limit, std::optional<double> remaining,
          std::optional<std::chrono::milliseconds> reset, clock::time_point now) {
  if (!remaining || !reset || reset->count() <= 0) return;
  const double seconds = static_cast<double>(reset->count()) / 1000;
  if (limit && *limit >= 1) {
    if (*limit <= *remaining) return;
    const double missing = *limit - *remaining;
    // Full at the reset, no sooner: drain() empties a bucket as deep as what is missing now.
    bucket.set(missing / seconds, missing);
    bucket.drain(now);
    bucket.set(missing / seconds, *limit);
    until = clock::time_point::max();
    return;
  }
  if (*remaining < 1) {
    if (now + *reset > paused.until) {
      paused.until = now + *reset;
      paused.cause = cause;
    }
    return;
  }
  bucket.set(*remaining / seconds, 1);
  until = now + *reset;
}

}  // namespace

rate_limiter::rate_limiter(options opts) : opts_(opts) {
  if (opts_.rpm > 0) configure(rpm_, opts_.rpm);
  if (opts_.tpm > 0) configure(tpm_, opts_.tpm);
  engaged_ = rpm_.engaged() || tpm_.engaged();
}

bool rate_limiter::acquire_engaged(std::uint64_t estimated_tokens, clock::time_point now) {
  if (next_ready(estimated_tokens, now) > now) return false;
  const auto tokens = static_cast<double>(estimated_tokens);
  if (rpm_.engaged()) rpm_.charge(1, now);
  if (tpm_.engaged()) tpm_.charge(tokens, now);
  if (adaptive_.engaged()) adaptive_.charge(1, now);
  if (header_requests_.engaged()) header_requests_.charge(1, now);
  if (header_tokens_.engaged()) header_tokens_.charge(tokens, now);
  if (opts_.adaptive) sent_.add(now);
  refresh_engaged(now);
  return true;
}

std::optional<rate_limiter::hold> rate_limiter::holding(std::uint64_t estimated_tokens,
                                                        clock::time_point now) const {
  const auto tokens = static_cast<double>(estimated_tokens);
  hold latest{paused_by_, std::max(now, paused_until_)};
  const auto consider = [&](const pacer& bucket, double cost, hold_cause cause,
                            clock::time_point until = clock::time_point::max()) {
    if (!bucket.engaged()) return;
    const auto at = std::min(bucket.ready_at(cost), until);
    if (at > latest.until) latest = {cause, at};
  };
  consider(rpm_, 1, hold_cause::rpm);
  consider(tpm_, tokens, hold_cause::tpm);
  consider(adaptive_, 1, hold_cause::backoff);
  // A fixed window's pacing holds until its reset, no longer.
  if (now < header_requests_until_)
    consider(header_requests_, 1, hold_cause::requests_header, header_requests_until_);
  if (now < header_tokens_until_)
    consider(header_tokens_, tokens, hold_cause::tokens_header, header_tokens_until_);
  if (latest.until <= now) return std::nullopt;
  return latest;
}

std::string_view rate_limiter::name(hold_cause cause) const {
  switch (cause) {
    case hold_cause::rpm:
      return "limits.rpm";
    case hold_cause::tpm:
      return "limits.tpm";
    case hold_cause::backoff:
      return "429 backoff";
    case hold_cause::requests_header:
      return requests_header_;
    case hold_cause::tokens_header:
      break;
  }
  return tokens_header_;
}

void rate_limiter::refresh_engaged(clock::time_point now) {
  if (now >= header_requests_until_) header_requests_.disengage();
  if (now >= header_tokens_until_) header_tokens_.disengage();
  engaged_ = rpm_.engaged() || tpm_.engaged() || adaptive_.engaged() ||
             header_requests_.engaged() || header_tokens_.engaged() || now < paused_until_;
}

void rate_limiter::correct_tokens(std::int64_t actual_minus_estimate) {
  const auto delta = static_cast<double>(actual_minus_estimate);
  if (tpm_.engaged()) tpm_.adjust(delta);
  if (header_tokens_.engaged()) header_tokens_.adjust(delta);
}

void rate_limiter::on_success(clock::time_point now) {
  if (rate_ == unlimited) return;
  rate_ += increase_per_success;
  if (rate_ >= recovered * cut_from_) {
    rate_ = unlimited;
    cut_from_ = unlimited;
    adaptive_.disengage();
    refresh_engaged(now);
    return;
  }
  adaptive_.set(rate_, adaptive_depth);
}

void rate_limiter::on_rate_limited(clock::time_point sent_at, clock::time_point now) {
  if (!opts_.adaptive || sent_at <= last_cut_) return;
  // At least one a second: a 429 slower than a second finds nothing sent in the last one.
  cut_from_ = std::min(rate_, std::max(1.0, sent_.per_second(now)));
  rate_ = std::max(min_rate, decrease * cut_from_);
  last_cut_ = now;
  adaptive_.set(rate_, adaptive_depth);
  adaptive_.drain(now);
  engaged_ = true;
}

void rate_limiter::on_rate_headers(const rate_headers& headers, clock::time_point now) {
  if (!opts_.adaptive) return;
  if (headers.reset_requests) requests_header_ = headers.reset_requests_header;
  if (headers.reset_tokens) tokens_header_ = headers.reset_tokens_header;
  const pause paused{paused_until_, paused_by_};
  pace(header_requests_, header_requests_until_, paused, hold_cause::requests_header,
       headers.limit_requests, headers.remaining_requests, headers.reset_requests, now);
  pace(header_tokens_, header_tokens_until_, paused, hold_cause::tokens_header,
       headers.limit_tokens, headers.remaining_tokens, headers.reset_tokens, now);
  refresh_engaged(now);
}

std::uint64_t estimate_tokens(std::string_view prompt, std::optional<int> max_tokens) {
  const std::uint64_t completion = max_tokens && *max_tokens > 0
                                       ? static_cast<std::uint64_t>(*max_tokens)
                                       : default_completion_tokens;
  return (prompt.size() + 3) / 4 + completion;
}

}  // namespace parallm::providers
