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
                                    {"x-ratelimit-limit-requests", "60"},
                                    {"x-ratelimit-limit-tokens", "150000x"}});
  BOOST_TEST(h.limit_requests.value() == 60.0);
  BOOST_TEST(!h.limit_tokens.has_value());
  BOOST_TEST(h.remaining_requests.value() == 59.0);
  BOOST_TEST(h.reset_requests.value().count() == 1000);
  BOOST_TEST(!h.remaining_tokens.has_value());
  BOOST_TEST(h.reset_tokens.value().count() == 360000);
  BOOST_TEST(!h.empty());
  BOOST_TEST(read_rate_headers({{"content-type", "application/json"}}).empty());
}

BOOST_AUTO_TEST_CASE(openai_limits_are_read_for_requests_and_tokens) {
  const auto h = read_rate_headers({{"x-ratelimit-limit-requests", "10000"},
                                    {"x-ratelimit-limit-tokens", " 2000000 "},
                                    {"x-ratelimit-remaining-requests", "9999"},
                                    {"x-ratelimit-remaining-tokens", "1999850"},
                                    {"x-ratelimit-reset-requests", "6ms"},
                                    {"x-ratelimit-reset-tokens", "4ms"}});
  BOOST_TEST(h.limit_requests.value() == 10000.0);
  BOOST_TEST(h.limit_tokens.value() == 2000000.0);
  BOOST_TEST(h.remaining_tokens.value() == 1999850.0);
  BOOST_TEST(h.reset_requests.value().count() == 6);
  BOOST_TEST(h.reset_tokens.value().count() == 4);
}

BOOST_AUTO_TEST_CASE(unparsable_limits_are_unset) {
  for (const auto* bad : {"", "-5", "+5", "1e", "ten", "5 5", "inf", "nan"}) {
    const auto h =
        read_rate_headers({{"x-ratelimit-limit-requests", bad}, {"x-ratelimit-limit-tokens", bad}});
    BOOST_TEST(!h.limit_requests.has_value(), bad);
    BOOST_TEST(!h.limit_tokens.has_value(), bad);
    BOOST_TEST(h.empty(), bad);
  }
}

BOOST_AUTO_TEST_CASE(a_limit_alone_is_not_empty) {
  BOOST_TEST(!read_rate_headers({{"x-ratelimit-limit-requests", "60"}}).empty());
  BOOST_TEST(!read_rate_headers({{"x-ratelimit-limit-tokens", "60"}}).empty());
}
