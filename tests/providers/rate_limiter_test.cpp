#define BOOST_TEST_MODULE rate_limiter
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <optional>

#include "limiter_clock.hpp"
#include "providers/rate_limiter.hpp"

using parallm::providers::estimate_tokens;
using parallm::providers::rate_limiter;
using namespace parallm::test;

namespace {

// Acquires greedily every millisecond for `span` and returns the largest number of calls seen
// in any half-open window of `window`, and how many passed in all.
struct greedy_result {
  std::size_t most_in_window = 0;
  std::size_t total = 0;
};
greedy_result acquire_greedily(rate_limiter& limiter, std::chrono::seconds span,
                               std::chrono::seconds window) {
  greedy_result result;
  std::deque<clock_type::time_point> recent;
  for (auto now = t0; now < t0 + span; now += milliseconds{1}) {
    while (limiter.try_acquire(1, now)) {
      ++result.total;
      recent.push_back(now);
      while (recent.front() <= now - window) recent.pop_front();
      result.most_in_window = std::max(result.most_in_window, recent.size());
    }
  }
  return result;
}

// Sends at whatever rate the limiter allows and reports success, as against a server whose
// limit has gone; returns the simulated seconds until the limiter stops limiting.
std::optional<double> seconds_until_unlimited(rate_limiter& limiter, clock_type::time_point from,
                                              std::chrono::seconds give_up) {
  for (auto now = from; now < from + give_up; now += milliseconds{1}) {
    while (limiter.try_acquire(1, now)) {
      limiter.on_success(now);
      if (std::isinf(limiter.current_rate())) return seconds_after_t0(now);
    }
  }
  return std::nullopt;
}

}  // namespace

BOOST_AUTO_TEST_CASE(without_limits_every_call_passes_at_once) {
  rate_limiter limiter{{}};
  for (int i = 0; i < 100000; ++i) BOOST_REQUIRE(limiter.try_acquire(5000, t0));
  BOOST_TEST((limiter.next_ready(5000, t0) == t0));
  BOOST_TEST(std::isinf(limiter.current_rate()));
}

BOOST_AUTO_TEST_CASE(rpm_holds_a_tenth_of_a_second_and_refills_smoothly) {
  rate_limiter limiter{{.rpm = 1200}};
  BOOST_TEST(limiter.try_acquire(0, t0));
  BOOST_TEST(limiter.try_acquire(0, t0));
  BOOST_TEST(!limiter.try_acquire(0, t0));
  // 1199 per minute after a depth of two: one every 60/1199 s.
  const auto ready = limiter.next_ready(0, t0);
  BOOST_TEST(seconds_after_t0(ready) == 60.0 / 1199, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(!limiter.try_acquire(0, ready - nanoseconds{1}));
  BOOST_TEST(limiter.try_acquire(0, ready));
  BOOST_TEST(!limiter.try_acquire(0, ready));
}

BOOST_AUTO_TEST_CASE(rpm_is_never_exceeded_in_any_minute_and_is_used_in_full) {
  for (const double rpm : {1200.0, 90.0, 7.0, 6000.0}) {
    rate_limiter limiter{{.rpm = rpm, .adaptive = false}};
    const auto minute =
        acquire_greedily(limiter, std::chrono::seconds{200}, std::chrono::seconds{60});
    BOOST_TEST_CONTEXT("rpm " << rpm) {
      BOOST_TEST(minute.most_in_window <= rpm);
      BOOST_TEST(minute.most_in_window >= rpm - 1);
    }
  }
}

BOOST_AUTO_TEST_CASE(rpm_never_bursts_past_a_tenth_of_a_second) {
  rate_limiter limiter{{.rpm = 1200}};
  const auto second = acquire_greedily(limiter, std::chrono::seconds{10}, std::chrono::seconds{1});
  BOOST_TEST(second.most_in_window <= 21U);  // 2 held + 19.98 refilled
}

BOOST_AUTO_TEST_CASE(tpm_charges_the_estimate_and_takes_corrections) {
  // 60000 tpm: a depth of 100 tokens, refilled at 59901 a minute (998.35 a second).
  rate_limiter limiter{{.tpm = 60000, .adaptive = false}};
  BOOST_TEST(limiter.try_acquire(100, t0));
  BOOST_TEST(!limiter.try_acquire(1, t0));
  const double refill = 59901.0 / 60;
  BOOST_TEST(seconds_after_t0(limiter.next_ready(50, t0)) == 50 / refill,
             boost::test_tools::tolerance(1e-6));

  // The call used 500 more tokens than estimated: the next waits for them too.
  limiter.correct_tokens(500);
  BOOST_TEST(seconds_after_t0(limiter.next_ready(50, t0)) == 550 / refill,
             boost::test_tools::tolerance(1e-6));
  // And 300 fewer than that: given back.
  limiter.correct_tokens(-300);
  BOOST_TEST(seconds_after_t0(limiter.next_ready(50, t0)) == 250 / refill,
             boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(a_call_larger_than_the_bucket_passes_when_full_and_delays_the_next) {
  rate_limiter limiter{{.tpm = 60000, .adaptive = false}};
  BOOST_TEST((limiter.next_ready(1000, t0) == t0));
  BOOST_TEST(limiter.try_acquire(1000, t0));
  const auto ready = limiter.next_ready(1000, t0);
  BOOST_TEST(seconds_after_t0(ready) == 1000 / (59901.0 / 60), boost::test_tools::tolerance(1e-6));
  BOOST_TEST(!limiter.try_acquire(1000, ready - milliseconds{1}));
  BOOST_TEST(limiter.try_acquire(1000, ready));
}

BOOST_AUTO_TEST_CASE(next_ready_is_the_latest_of_all_limits) {
  // 10 requests a second with a depth of 1; 998.35 tokens a second with a depth of 100.
  rate_limiter limiter{{.rpm = 600, .tpm = 60000}};
  BOOST_TEST(limiter.try_acquire(100, t0));
  const double token_seconds = 100 / (59901.0 / 60);
  BOOST_TEST(seconds_after_t0(limiter.next_ready(50, t0)) == 0.1,
             boost::test_tools::tolerance(1e-6));
  BOOST_TEST(seconds_after_t0(limiter.next_ready(100, t0)) == token_seconds,
             boost::test_tools::tolerance(1e-6));
  const auto later = t0 + std::chrono::seconds{5};
  BOOST_TEST((limiter.next_ready(100, later) == later));
}

BOOST_AUTO_TEST_CASE(the_first_429_cuts_to_ninety_percent_of_what_was_sent) {
  rate_limiter limiter{{}};
  for (int i = 0; i < 50; ++i) BOOST_REQUIRE(limiter.try_acquire(1, t0 + milliseconds{10 * i}));
  const auto now = t0 + milliseconds{500};
  limiter.on_rate_limited(t0, now);
  BOOST_TEST(limiter.current_rate() == 45.0, boost::test_tools::tolerance(1e-9));
  // The bucket starts empty: the next call waits one interval.
  BOOST_TEST(!limiter.try_acquire(1, now));
  BOOST_TEST(seconds_after_t0(limiter.next_ready(1, now)) == 0.5 + 1 / 45.0,
             boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(rejections_of_calls_sent_before_a_cut_do_not_cut_again) {
  rate_limiter limiter{{}};
  for (int i = 0; i < 20; ++i) BOOST_REQUIRE(limiter.try_acquire(1, t0));
  limiter.on_rate_limited(t0, t0);
  BOOST_TEST(limiter.current_rate() == 18.0, boost::test_tools::tolerance(1e-9));
  for (int i = 0; i < 10; ++i) limiter.on_rate_limited(t0, t0 + milliseconds{i});
  BOOST_TEST(limiter.current_rate() == 18.0, boost::test_tools::tolerance(1e-9));
  // A call sent after the cut that still draws a 429: the cut rate is too high.
  const auto later = t0 + milliseconds{100};
  BOOST_REQUIRE(limiter.try_acquire(1, later));
  limiter.on_rate_limited(later, later);
  BOOST_TEST(limiter.current_rate() == 18.0 * 0.9, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(a_429_with_nothing_sent_lately_still_leaves_a_usable_rate) {
  rate_limiter limiter{{}};
  BOOST_REQUIRE(limiter.try_acquire(1, t0));
  limiter.on_rate_limited(t0, t0 + std::chrono::seconds{30});
  BOOST_TEST(limiter.current_rate() == 0.9, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(successes_grow_the_rate_back_slowly) {
  rate_limiter limiter{{}};
  for (int i = 0; i < 20; ++i) BOOST_REQUIRE(limiter.try_acquire(1, t0));
  limiter.on_rate_limited(t0, t0);
  for (int i = 0; i < 100; ++i) limiter.on_success(t0 + milliseconds{i});
  BOOST_TEST(limiter.current_rate() == 18.0 + 3.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(the_adaptive_limit_lifts_once_the_server_limit_is_gone) {
  rate_limiter limiter{{}};
  for (int i = 0; i < 20; ++i) BOOST_REQUIRE(limiter.try_acquire(1, t0));
  limiter.on_rate_limited(t0, t0);
  const auto lifted = seconds_until_unlimited(limiter, t0, std::chrono::seconds{120});
  BOOST_REQUIRE(lifted.has_value());
  BOOST_TEST_MESSAGE("unlimited again after " << *lifted << " s");
  BOOST_TEST(*lifted < 60.0);
  const auto now = t0 + std::chrono::seconds{120};
  for (int i = 0; i < 1000; ++i) BOOST_REQUIRE(limiter.try_acquire(1, now));
}

BOOST_AUTO_TEST_CASE(tokens_are_estimated_from_the_prompt_and_the_completion_budget) {
  BOOST_TEST(estimate_tokens("abcdefgh", 100) == 102U);
  BOOST_TEST(estimate_tokens("abcdefghi", 100) == 103U);  // a started token counts
  BOOST_TEST(estimate_tokens("", 10) == 10U);
  BOOST_TEST(estimate_tokens("abcd", std::nullopt) == 1U + 256U);
  BOOST_TEST(estimate_tokens("abcd", 0) == 1U + 256U);
  BOOST_TEST(estimate_tokens("abcd", -5) == 1U + 256U);
}
