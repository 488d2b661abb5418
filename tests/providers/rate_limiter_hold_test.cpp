#define BOOST_TEST_MODULE rate_limiter_hold
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "limiter_clock.hpp"
#include "providers/rate_headers.hpp"
#include "providers/rate_limiter.hpp"
#include "providers/retry_after.hpp"

// Why a limiter holds calls back and until when: what the run tells the user when a limit
// holds it for long.

using parallm::providers::max_retry_after;
using parallm::providers::rate_limiter;
using parallm::providers::read_rate_headers;
using namespace parallm::test;
using cause = rate_limiter::hold_cause;

namespace {

// The wall-clock time of the answers: 2024-01-01T00:00:00Z, 1704067200 s after the epoch.
const std::chrono::system_clock::time_point wall =
    std::chrono::sys_days{std::chrono::January / 1 / 2024};

}  // namespace

BOOST_AUTO_TEST_CASE(a_ready_limiter_holds_nothing) {
  rate_limiter limiter{{.rpm = 600}};
  BOOST_TEST(!limiter.holding(1, t0).has_value());
  BOOST_TEST((limiter.next_ready(1, t0) == t0));
}

BOOST_AUTO_TEST_CASE(the_job_rpm_and_tpm_are_named_as_limits) {
  rate_limiter rpm{{.rpm = 2}};
  BOOST_REQUIRE(rpm.try_acquire(1, t0));
  BOOST_REQUIRE(!rpm.try_acquire(1, t0));
  const auto held = rpm.holding(1, t0);
  BOOST_REQUIRE(held.has_value());
  BOOST_TEST((held->cause == cause::rpm));
  BOOST_TEST(seconds_after_t0(held->until) == 30.0, boost::test_tools::tolerance(1e-6));
  BOOST_TEST((rpm.next_ready(1, t0) == held->until));
  BOOST_TEST(rpm.name(held->cause) == "limits.rpm");

  rate_limiter tpm{{.tpm = 600}};
  BOOST_REQUIRE(tpm.try_acquire(600, t0));
  const auto tokens = tpm.holding(100, t0);
  BOOST_REQUIRE(tokens.has_value());
  BOOST_TEST((tokens->cause == cause::tpm));
  BOOST_TEST(tpm.name(tokens->cause) == "limits.tpm");
}

BOOST_AUTO_TEST_CASE(a_429_cut_is_named_as_the_backoff) {
  rate_limiter limiter{{}};
  BOOST_REQUIRE(limiter.try_acquire(1, t0));
  limiter.on_rate_limited(t0, t0);
  const auto held = limiter.holding(1, t0);
  BOOST_REQUIRE(held.has_value());
  BOOST_TEST((held->cause == cause::backoff));
  BOOST_TEST(limiter.name(held->cause) == "429 backoff");
}

BOOST_AUTO_TEST_CASE(a_header_pause_names_the_reset_header_and_is_bounded) {
  // A reset sent as a Unix time months away: the pause lasts as long as Retry-After could.
  rate_limiter limiter{{}};
  limiter.on_rate_headers(read_rate_headers({{"x-ratelimit-remaining-requests", "0"},
                                             {"x-ratelimit-reset-requests", "1732250000"}},
                                            wall),
                          t0);
  const auto held = limiter.holding(1, t0);
  BOOST_REQUIRE(held.has_value());
  BOOST_TEST((held->cause == cause::requests_header));
  BOOST_TEST((held->until == t0 + max_retry_after));
  BOOST_TEST(limiter.name(held->cause) == "x-ratelimit-reset-requests");

  // An absolute reset 30 s on is read as 30 s.
  rate_limiter tokens{{}};
  tokens.on_rate_headers(read_rate_headers({{"x-ratelimit-remaining-tokens", "0"},
                                            {"x-ratelimit-reset-tokens", "1704067230000"}},
                                           wall),
                         t0);
  const auto token_hold = tokens.holding(1, t0);
  BOOST_REQUIRE(token_hold.has_value());
  BOOST_TEST((token_hold->cause == cause::tokens_header));
  BOOST_TEST((token_hold->until == t0 + std::chrono::seconds{30}));
  BOOST_TEST(tokens.name(token_hold->cause) == "x-ratelimit-reset-tokens");
}

BOOST_AUTO_TEST_CASE(anthropic_holds_name_anthropic_headers) {
  rate_limiter limiter{{}};
  limiter.on_rate_headers(
      read_rate_headers({{"anthropic-ratelimit-tokens-remaining", "0"},
                         {"anthropic-ratelimit-tokens-reset", "2024-01-01T00:00:20Z"}},
                        wall),
      t0);
  const auto held = limiter.holding(1, t0);
  BOOST_REQUIRE(held.has_value());
  BOOST_TEST((held->until == t0 + std::chrono::seconds{20}));
  BOOST_TEST(limiter.name(held->cause) == "anthropic-ratelimit-tokens-reset");
}

BOOST_AUTO_TEST_CASE(the_latest_of_several_holds_is_the_one_named) {
  rate_limiter limiter{{.rpm = 600}};
  BOOST_REQUIRE(limiter.try_acquire(1, t0));
  limiter.on_rate_headers(
      read_rate_headers(
          {{"x-ratelimit-remaining-requests", "0"}, {"x-ratelimit-reset-requests", "45s"}}, wall),
      t0);
  const auto held = limiter.holding(1, t0);
  BOOST_REQUIRE(held.has_value());
  BOOST_TEST((held->cause == cause::requests_header));
  BOOST_TEST((held->until == t0 + std::chrono::seconds{45}));
}

BOOST_AUTO_TEST_CASE(without_the_combined_bucket_the_input_tokens_header_is_named) {
  rate_limiter limiter{{}};
  limiter.on_rate_headers(
      read_rate_headers({{"anthropic-ratelimit-input-tokens-remaining", "0"},
                         {"anthropic-ratelimit-input-tokens-reset", "2024-01-01T00:00:20Z"}},
                        wall),
      t0);
  const auto held = limiter.holding(1, t0);
  BOOST_REQUIRE(held.has_value());
  BOOST_TEST(limiter.name(held->cause) == "anthropic-ratelimit-input-tokens-reset");
}
