#define BOOST_TEST_MODULE rate_limiter_headers
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <optional>

#include "limiter_clock.hpp"
#include "providers/rate_headers.hpp"
#include "providers/rate_limiter.hpp"

// What x-ratelimit-* headers do to the limiter: without a limit header, a fixed window (spread
// what is left until the reset); with one, OpenAI's continuously refilling bucket, which is
// also what Anthropic's anthropic-ratelimit-* headers describe.

using parallm::providers::rate_headers;
using parallm::providers::rate_limiter;
using parallm::providers::read_rate_headers;
using namespace parallm::test;

namespace {

rate_headers requests_left(std::optional<double> remaining, std::optional<milliseconds> reset) {
  rate_headers headers;
  headers.remaining_requests = remaining;
  headers.reset_requests = reset;
  return headers;
}

rate_headers tokens_left(std::optional<double> remaining, std::optional<milliseconds> reset) {
  rate_headers headers;
  headers.remaining_tokens = remaining;
  headers.reset_tokens = reset;
  return headers;
}

// OpenAI's headers: a bucket of `limit` holding `remaining`, full again after `reset`.
rate_headers openai_requests(double limit, std::optional<double> remaining, milliseconds reset) {
  rate_headers headers = requests_left(remaining, reset);
  headers.limit_requests = limit;
  return headers;
}

rate_headers openai_tokens(double limit, std::optional<double> remaining, milliseconds reset) {
  rate_headers headers = tokens_left(remaining, reset);
  headers.limit_tokens = limit;
  return headers;
}

// Calls of `cost` tokens acquired greedily every millisecond in [from, until), counted up to a
// cap so that a limiter that holds nothing back fails the test instead of looping forever.
int acquired_between(rate_limiter& limiter, clock_type::time_point from,
                     clock_type::time_point until, std::uint64_t cost = 1) {
  constexpr int cap = 100000;
  int passed = 0;
  for (auto now = from; now < until && passed < cap; now += milliseconds{1})
    while (passed < cap && limiter.try_acquire(cost, now)) ++passed;
  return passed;
}

const auto ms_tolerance = boost::test_tools::tolerance(1e-6);

// The wall-clock time Anthropic's headers are read at: 2024-01-01T00:00:00Z.
const std::chrono::system_clock::time_point wall_t0 =
    std::chrono::sys_days{std::chrono::January / 1 / 2024};

}  // namespace

BOOST_AUTO_TEST_CASE(no_requests_left_pauses_until_the_reset) {
  rate_limiter limiter{{}};
  limiter.on_rate_headers(requests_left(0, milliseconds{2000}), t0);
  BOOST_TEST(!limiter.try_acquire(1, t0 + milliseconds{1999}));
  BOOST_TEST((limiter.next_ready(1, t0) == t0 + milliseconds{2000}));
  BOOST_TEST(limiter.try_acquire(1, t0 + milliseconds{2000}));
  BOOST_TEST(limiter.try_acquire(1, t0 + milliseconds{2000}));
}

BOOST_AUTO_TEST_CASE(no_tokens_left_pauses_until_their_reset) {
  rate_limiter limiter{{}};
  limiter.on_rate_headers(tokens_left(0, milliseconds{500}), t0);
  BOOST_TEST(!limiter.try_acquire(1, t0 + milliseconds{499}));
  BOOST_TEST(limiter.try_acquire(1, t0 + milliseconds{500}));
}

BOOST_AUTO_TEST_CASE(few_requests_left_are_spread_until_the_reset_and_no_longer) {
  rate_limiter limiter{{}};
  limiter.on_rate_headers(requests_left(4, milliseconds{2000}), t0);
  int passed = 0;
  for (auto now = t0; now < t0 + milliseconds{2000}; now += milliseconds{1})
    while (limiter.try_acquire(1, now)) ++passed;
  BOOST_TEST(passed == 4);
  // Past the reset the headers no longer hold anything back.
  for (int i = 0; i < 50; ++i) BOOST_REQUIRE(limiter.try_acquire(1, t0 + milliseconds{2000}));
}

BOOST_AUTO_TEST_CASE(few_tokens_left_space_calls_by_their_size) {
  rate_limiter limiter{{}};
  limiter.on_rate_headers(tokens_left(1000, milliseconds{1000}), t0);
  BOOST_TEST(limiter.try_acquire(250, t0));
  BOOST_TEST(!limiter.try_acquire(250, t0 + milliseconds{249}));
  BOOST_TEST(limiter.try_acquire(250, t0 + milliseconds{250}));
}

BOOST_AUTO_TEST_CASE(an_empty_openai_bucket_waits_one_refill_not_the_whole_reset) {
  // Refill (limit - remaining) / reset: 600 / 6 s = 100/s and 60 / 6 s = 10/s.
  for (const double limit : {600.0, 60.0}) {
    BOOST_TEST_CONTEXT("limit " << limit) {
      rate_limiter limiter{{}};
      limiter.on_rate_headers(openai_requests(limit, 0, milliseconds{6000}), t0);
      const double interval = 6.0 / limit;
      const auto ready = limiter.next_ready(1, t0);
      BOOST_TEST(seconds_after_t0(ready) == interval, ms_tolerance);
      BOOST_TEST(!limiter.try_acquire(1, ready - nanoseconds{1}));
      BOOST_TEST(limiter.try_acquire(1, ready));
      BOOST_TEST(!limiter.try_acquire(1, ready));
      BOOST_TEST(seconds_after_t0(limiter.next_ready(1, ready)) == 2 * interval, ms_tolerance);
      // Then one call per interval: 60 s of calls in 6 s at 600, in 60 s at 60.
      const auto span =
          std::chrono::duration_cast<milliseconds>(std::chrono::duration<double>(limit * interval));
      BOOST_TEST(std::abs(acquired_between(limiter, ready, ready + span) - limit) <= 1);
    }
  }
}

BOOST_AUTO_TEST_CASE(what_remains_of_an_openai_bucket_goes_at_once_then_at_the_refill_rate) {
  // (600 - 50) / 5.5 s = 100 requests/s.
  rate_limiter limiter{{}};
  limiter.on_rate_headers(openai_requests(600, 50, milliseconds{5500}), t0);
  for (int i = 0; i < 50; ++i) BOOST_REQUIRE(limiter.try_acquire(1, t0));
  BOOST_TEST(!limiter.try_acquire(1, t0));
  BOOST_TEST(seconds_after_t0(limiter.next_ready(1, t0)) == 0.010, ms_tolerance);
  BOOST_TEST(!limiter.try_acquire(1, t0 + milliseconds{9}));
  BOOST_TEST(limiter.try_acquire(1, t0 + milliseconds{10}));
  const int next_second = acquired_between(limiter, t0 + milliseconds{11}, t0 + milliseconds{1011});
  BOOST_TEST(std::abs(next_second - 100) <= 1);
}

BOOST_AUTO_TEST_CASE(an_openai_token_bucket_paces_calls_by_their_size) {
  // (10000 - 1000) / 9 s = 1000 tokens/s: 1000 now, then 250 every 250 ms.
  rate_limiter limiter{{}};
  limiter.on_rate_headers(openai_tokens(10000, 1000, milliseconds{9000}), t0);
  for (int i = 0; i < 4; ++i) BOOST_REQUIRE(limiter.try_acquire(250, t0));
  BOOST_TEST(!limiter.try_acquire(250, t0));
  BOOST_TEST(seconds_after_t0(limiter.next_ready(250, t0)) == 0.25, ms_tolerance);
  BOOST_TEST(seconds_after_t0(limiter.next_ready(100, t0)) == 0.1, ms_tolerance);
  BOOST_TEST(limiter.try_acquire(250, t0 + milliseconds{250}));
  BOOST_TEST(!limiter.try_acquire(250, t0 + milliseconds{499}));

  // An empty 150000 tpm bucket full in a minute: 2500 tokens/s, 500 tokens wait 200 ms.
  rate_limiter empty{{}};
  empty.on_rate_headers(openai_tokens(150000, 0, milliseconds{60000}), t0);
  BOOST_TEST(seconds_after_t0(empty.next_ready(500, t0)) == 0.2, ms_tolerance);
}

BOOST_AUTO_TEST_CASE(usage_corrects_the_openai_token_bucket) {
  rate_limiter limiter{{}};
  limiter.on_rate_headers(openai_tokens(10000, 1000, milliseconds{9000}), t0);
  BOOST_REQUIRE(limiter.try_acquire(1000, t0));
  BOOST_TEST(seconds_after_t0(limiter.next_ready(1, t0)) == 0.001, ms_tolerance);
  limiter.correct_tokens(500);
  BOOST_TEST(seconds_after_t0(limiter.next_ready(1, t0)) == 0.501, ms_tolerance);
}

BOOST_AUTO_TEST_CASE(a_full_openai_bucket_restricts_nothing) {
  rate_limiter limiter{{}};
  limiter.on_rate_headers(openai_requests(600, 600, milliseconds{1000}), t0);
  limiter.on_rate_headers(openai_requests(600, 700, milliseconds{1000}), t0);
  limiter.on_rate_headers(openai_tokens(1000, 1000, milliseconds{1000}), t0);
  for (int i = 0; i < 10000; ++i) BOOST_REQUIRE(limiter.try_acquire(5000, t0));
  BOOST_TEST((limiter.next_ready(5000, t0) == t0));
}

BOOST_AUTO_TEST_CASE(a_stale_header_does_not_give_back_calls_already_sent) {
  // Answers to calls sent together all say 50 remain; the 50 sent since still count.
  rate_limiter limiter{{}};
  limiter.on_rate_headers(openai_requests(600, 50, milliseconds{5500}), t0);
  for (int i = 0; i < 50; ++i) BOOST_REQUIRE(limiter.try_acquire(1, t0));
  limiter.on_rate_headers(openai_requests(600, 50, milliseconds{5500}), t0);
  BOOST_TEST(!limiter.try_acquire(1, t0));
  BOOST_TEST(seconds_after_t0(limiter.next_ready(1, t0)) == 0.010, ms_tolerance);
  // A header that says less than the model holds (another client spent it) is believed:
  // full in 7 s, one call every 7/600 s.
  limiter.on_rate_headers(openai_requests(600, 0, milliseconds{7000}), t0);
  BOOST_TEST(seconds_after_t0(limiter.next_ready(1, t0)) == 7.0 / 600, ms_tolerance);
}

BOOST_AUTO_TEST_CASE(the_openai_bucket_outlasts_its_reset_while_calls_keep_coming) {
  // Answers slower than the 6 s reset: without a new header the calls stay at 100/s instead
  // of bursting into an empty bucket when the reset passes.
  rate_limiter limiter{{}};
  limiter.on_rate_headers(openai_requests(600, 0, milliseconds{6000}), t0);
  const auto end = t0 + std::chrono::seconds{10};
  BOOST_TEST(std::abs(acquired_between(limiter, t0, end) - 999) <= 1);
  // Idle until the model is full again: the limit goes at once, then the refill.
  const auto full = end + std::chrono::seconds{6};
  for (int i = 0; i < 600; ++i) BOOST_REQUIRE(limiter.try_acquire(1, full));
  BOOST_TEST(!limiter.try_acquire(1, full));
  BOOST_TEST(seconds_after_t0(limiter.next_ready(1, full)) == 16.010, ms_tolerance);
}

BOOST_AUTO_TEST_CASE(a_zero_limit_is_read_as_a_fixed_window) {
  rate_limiter limiter{{}};
  limiter.on_rate_headers(openai_requests(0, 0, milliseconds{2000}), t0);
  BOOST_TEST((limiter.next_ready(1, t0) == t0 + milliseconds{2000}));
}

BOOST_AUTO_TEST_CASE(without_adaptive_429s_and_headers_change_nothing) {
  rate_limiter limiter{{.adaptive = false}};
  limiter.on_rate_limited(t0, t0);
  limiter.on_rate_headers(requests_left(0, milliseconds{5000}), t0);
  limiter.on_rate_headers(openai_requests(600, 0, milliseconds{5000}), t0);
  limiter.on_rate_headers(openai_tokens(600, 0, milliseconds{5000}), t0);
  BOOST_TEST(std::isinf(limiter.current_rate()));
  BOOST_TEST((limiter.next_ready(1, t0) == t0));
  BOOST_TEST(limiter.try_acquire(1, t0));
}

BOOST_AUTO_TEST_CASE(headers_without_a_usable_reset_are_ignored) {
  rate_limiter limiter{{}};
  limiter.on_rate_headers(requests_left(0, std::nullopt), t0);
  limiter.on_rate_headers(requests_left(0, milliseconds{0}), t0);
  limiter.on_rate_headers(tokens_left(std::nullopt, milliseconds{1000}), t0);
  limiter.on_rate_headers(openai_requests(600, 0, milliseconds{0}), t0);
  limiter.on_rate_headers(openai_tokens(600, std::nullopt, milliseconds{1000}), t0);
  BOOST_TEST(limiter.try_acquire(1, t0));
  BOOST_TEST((limiter.next_ready(1, t0) == t0));
}

BOOST_AUTO_TEST_CASE(anthropic_headers_pace_at_the_refill_rate) {
  // 50 requests, none left, full at 00:01:00: one call every 1.2 s.
  rate_limiter requests{{}};
  requests.on_rate_headers(
      read_rate_headers({{"anthropic-ratelimit-requests-limit", "50"},
                         {"anthropic-ratelimit-requests-remaining", "0"},
                         {"anthropic-ratelimit-requests-reset", "2024-01-01T00:01:00Z"}},
                        wall_t0),
      t0);
  BOOST_TEST(seconds_after_t0(requests.next_ready(1, t0)) == 1.2, ms_tolerance);
  BOOST_TEST(!requests.try_acquire(1, t0 + milliseconds{1199}));
  BOOST_TEST(requests.try_acquire(1, t0 + milliseconds{1200}));
  BOOST_TEST(seconds_after_t0(requests.next_ready(1, t0 + milliseconds{1200})) == 2.4,
             ms_tolerance);
  // A minute of calls: the bucket lets 50 through, as the server would.
  const auto from = t0 + milliseconds{1201};
  BOOST_TEST(std::abs(acquired_between(requests, from, from + std::chrono::seconds{60}) - 50) <= 1);

  // 96000 tokens, 1000 left, full at 00:00:50 (written in +01:00): 1000 now, then
  // (96000 - 1000) / 50 s = 1900 tokens/s.
  rate_limiter tokens{{}};
  tokens.on_rate_headers(
      read_rate_headers({{"anthropic-ratelimit-tokens-limit", "96000"},
                         {"anthropic-ratelimit-tokens-remaining", "1000"},
                         {"anthropic-ratelimit-tokens-reset", "2024-01-01T01:00:50+01:00"}},
                        wall_t0),
      t0);
  BOOST_REQUIRE(tokens.try_acquire(1000, t0));
  BOOST_TEST(!tokens.try_acquire(475, t0 + milliseconds{249}));
  BOOST_TEST(seconds_after_t0(tokens.next_ready(475, t0)) == 0.25, ms_tolerance);
  BOOST_TEST(seconds_after_t0(tokens.next_ready(1900, t0)) == 1.0, ms_tolerance);
  BOOST_TEST(tokens.try_acquire(1900, t0 + milliseconds{1000}));
}

BOOST_AUTO_TEST_CASE(anthropic_headers_with_a_past_reset_restrict_nothing) {
  // The timestamps are whole seconds: a bucket full again within this one reads as full now.
  const auto headers =
      read_rate_headers({{"anthropic-ratelimit-requests-limit", "50"},
                         {"anthropic-ratelimit-requests-remaining", "0"},
                         {"anthropic-ratelimit-requests-reset", "2023-12-31T23:59:59Z"},
                         {"anthropic-ratelimit-tokens-limit", "96000"},
                         {"anthropic-ratelimit-tokens-remaining", "0"},
                         {"anthropic-ratelimit-tokens-reset", "2024-01-01T00:00:00Z"}},
                        wall_t0);
  rate_limiter limiter{{}};
  limiter.on_rate_headers(headers, t0);
  for (int i = 0; i < 1000; ++i) BOOST_REQUIRE(limiter.try_acquire(5000, t0));
  BOOST_TEST((limiter.next_ready(5000, t0) == t0));
}
