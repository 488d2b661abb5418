#define BOOST_TEST_MODULE rate_headers
#include <boost/test/unit_test.hpp>

#include "providers/rate_headers.hpp"

using namespace parallm::providers;
using std::chrono::milliseconds;

BOOST_AUTO_TEST_CASE(reset_durations_in_openai_notation) {
  BOOST_TEST(parse_reset_duration("1s").value().count() == 1000);
  BOOST_TEST(parse_reset_duration("20ms").value().count() == 20);
  BOOST_TEST(parse_reset_duration("6m0s").value().count() == 360000);
  BOOST_TEST(parse_reset_duration("1h2m3.5s").value().count() == 3723500);
  BOOST_TEST(parse_reset_duration(" 0.25 ").value().count() == 250);
  BOOST_TEST(parse_reset_duration("7").value().count() == 7000);
}

BOOST_AUTO_TEST_CASE(garbage_durations_are_unset) {
  for (const auto* bad : {"", "s", "1x", "-1s", "1s2", "ms", "1.2.3s", "abc"}) {
    BOOST_TEST(!parse_reset_duration(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_CASE(headers_are_read_by_name_and_bad_values_left_unset) {
  const auto h = read_rate_headers({{"x-ratelimit-remaining-requests", "59"},
                                    {"x-ratelimit-reset-requests", "1s"},
                                    {"x-ratelimit-remaining-tokens", "oops"},
                                    {"x-ratelimit-reset-tokens", "6m0s"},
                                    {"x-ratelimit-limit-requests", "60"}});
  BOOST_TEST(h.remaining_requests.value() == 59.0);
  BOOST_TEST(h.reset_requests.value().count() == 1000);
  BOOST_TEST(!h.remaining_tokens.has_value());
  BOOST_TEST(h.reset_tokens.value().count() == 360000);
  BOOST_TEST(!h.empty());
  BOOST_TEST(read_rate_headers({{"content-type", "application/json"}}).empty());
}
