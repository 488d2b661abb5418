#define BOOST_TEST_MODULE human_format
#include <boost/test/unit_test.hpp>

#include "batch/human_format.hpp"

using namespace parallm::batch;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(counts_are_compact_above_a_thousand) {
  BOOST_TEST(compact_count(0) == "0");
  BOOST_TEST(compact_count(999) == "999");
  BOOST_TEST(compact_count(1000) == "1.0k");
  BOOST_TEST(compact_count(53'140) == "53.1k");
  BOOST_TEST(compact_count(999'949) == "999.9k");
  BOOST_TEST(compact_count(999'950) == "1.0M");
  BOOST_TEST(compact_count(1'234'567) == "1.2M");
  BOOST_TEST(compact_count(3'400'000'000) == "3.4G");
}

BOOST_AUTO_TEST_CASE(durations_pick_their_unit) {
  BOOST_TEST(format_duration(400us) == "0.4ms");
  BOOST_TEST(format_duration(812ms) == "812ms");
  BOOST_TEST(format_duration(1900ms) == "1.9s");
  BOOST_TEST(format_duration(125s) == "2m05s");
  BOOST_TEST(format_duration(3720s) == "1h02m");
  BOOST_TEST(format_duration(-5us) == "0.0ms");
}

BOOST_AUTO_TEST_CASE(eta_is_in_whole_seconds) {
  BOOST_TEST(format_eta(3s) == "3s");
  BOOST_TEST(format_eta(59s) == "59s");
  BOOST_TEST(format_eta(60s) == "1m00s");
  BOOST_TEST(format_eta(7322s) == "2h02m");
  BOOST_TEST(format_eta(-1s) == "0s");
}

BOOST_AUTO_TEST_CASE(rates_keep_a_decimal_only_when_small) {
  BOOST_TEST(format_rate(3.46) == "3.5");
  BOOST_TEST(format_rate(1520.4) == "1520");
  BOOST_TEST(format_rate(152'000) == "152.0k");
  BOOST_TEST(format_rate(-1) == "0.0");
}

BOOST_AUTO_TEST_CASE(a_hold_names_its_source_and_the_utc_time_it_ends) {
  using namespace std::chrono;
  const sys_time<milliseconds> until = sys_days{November / 22 / 2024} + 3h + 12min + 45s + 900ms;
  BOOST_TEST(hold_note("x-ratelimit-reset-requests", until) ==
             "held by x-ratelimit-reset-requests until 03:12:45 UTC");
  BOOST_TEST(hold_note("429 backoff", sys_days{January / 1 / 2024}) ==
             "held by 429 backoff until 00:00:00 UTC");
}
