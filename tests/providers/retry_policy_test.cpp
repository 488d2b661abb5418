#define BOOST_TEST_MODULE retry_policy
#include <boost/test/unit_test.hpp>

#include <limits>

#include "providers/retry_policy.hpp"

using parallm::providers::retry_delay;
using parallm::providers::retry_policy;
using std::chrono::milliseconds;

namespace {

const retry_policy policy{
    .max_retries = 4, .initial = milliseconds{500}, .max = milliseconds{30000}};
constexpr double almost_one = 0.999999;

milliseconds delay_of(const retry_policy& p, int attempts, double unit,
                      std::optional<milliseconds> retry_after = std::nullopt) {
  const auto delay = retry_delay(p, attempts, retry_after, unit);
  BOOST_TEST_REQUIRE(delay.has_value());
  return *delay;
}

}  // namespace

BOOST_AUTO_TEST_CASE(full_jitter_spans_zero_to_the_cap) {
  BOOST_TEST(delay_of(policy, 1, 0.0).count() == 0);
  BOOST_TEST(delay_of(policy, 1, almost_one).count() == 499);
  BOOST_TEST(delay_of(policy, 1, 0.5).count() == 250);
}

BOOST_AUTO_TEST_CASE(the_cap_doubles_per_attempt) {
  BOOST_TEST(delay_of(policy, 1, 0.5).count() == 250);
  BOOST_TEST(delay_of(policy, 2, 0.5).count() == 500);
  BOOST_TEST(delay_of(policy, 3, 0.5).count() == 1000);
  BOOST_TEST(delay_of(policy, 4, 0.5).count() == 2000);
}

BOOST_AUTO_TEST_CASE(the_cap_stops_at_max) {
  const retry_policy many{
      .max_retries = 1000, .initial = milliseconds{500}, .max = milliseconds{3000}};
  BOOST_TEST(delay_of(many, 3, almost_one).count() == 1999);
  BOOST_TEST(delay_of(many, 4, almost_one).count() == 2999);
  BOOST_TEST(delay_of(many, 5, almost_one).count() == 2999);
  BOOST_TEST(delay_of(many, 5, 1.0).count() == 3000);
}

BOOST_AUTO_TEST_CASE(huge_attempt_counts_do_not_overflow) {
  const retry_policy many{.max_retries = std::numeric_limits<int>::max(),
                          .initial = milliseconds{500},
                          .max = milliseconds{30000}};
  for (const int attempts : {40, 62, 63, 64, 100, 1000, std::numeric_limits<int>::max()}) {
    BOOST_TEST(delay_of(many, attempts, 0.5).count() == 15000);
  }
}

BOOST_AUTO_TEST_CASE(retry_after_is_a_floor) {
  BOOST_TEST(delay_of(policy, 1, 0.5, milliseconds{4000}).count() == 4000);
  BOOST_TEST(delay_of(policy, 1, 0.0, milliseconds{1}).count() == 1);
  // A short Retry-After does not shorten the backoff.
  BOOST_TEST(delay_of(policy, 4, 0.5, milliseconds{100}).count() == 2000);
  // The floor is honoured even above the backoff cap: the server knows better.
  BOOST_TEST(delay_of(policy, 1, 0.5, milliseconds{60000}).count() == 60000);
}

BOOST_AUTO_TEST_CASE(no_retry_once_max_retries_are_used) {
  BOOST_TEST(retry_delay(policy, 4, std::nullopt, 0.5).has_value());
  BOOST_TEST(!retry_delay(policy, 5, std::nullopt, 0.5).has_value());
  BOOST_TEST(!retry_delay(policy, 6, milliseconds{10}, 0.5).has_value());
}

BOOST_AUTO_TEST_CASE(max_retries_zero_never_retries) {
  const retry_policy none{
      .max_retries = 0, .initial = milliseconds{500}, .max = milliseconds{30000}};
  BOOST_TEST(!retry_delay(none, 1, std::nullopt, 0.5).has_value());
  BOOST_TEST(!retry_delay(none, 1, milliseconds{100}, 0.0).has_value());
}

BOOST_AUTO_TEST_CASE(max_retries_two_allows_three_attempts) {
  const retry_policy two{.max_retries = 2, .initial = milliseconds{100}, .max = milliseconds{1000}};
  BOOST_TEST(retry_delay(two, 1, std::nullopt, 0.5).has_value());
  BOOST_TEST(retry_delay(two, 2, std::nullopt, 0.5).has_value());
  BOOST_TEST(!retry_delay(two, 3, std::nullopt, 0.5).has_value());
}

BOOST_AUTO_TEST_CASE(out_of_range_randomness_stays_within_the_cap) {
  BOOST_TEST(delay_of(policy, 1, -0.5).count() == 0);
  BOOST_TEST(delay_of(policy, 1, 7.0).count() == 500);
  BOOST_TEST(delay_of(policy, 1, std::numeric_limits<double>::quiet_NaN()).count() == 0);
}

BOOST_AUTO_TEST_CASE(zero_initial_means_retry_at_once) {
  const retry_policy eager{.max_retries = 3, .initial = milliseconds{0}, .max = milliseconds{1000}};
  BOOST_TEST(delay_of(eager, 3, almost_one).count() == 0);
  BOOST_TEST(delay_of(eager, 3, almost_one, milliseconds{250}).count() == 250);
}
