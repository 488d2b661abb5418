#define BOOST_TEST_MODULE retry_after
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <string_view>

#include "providers/retry_after.hpp"

using parallm::providers::max_retry_after;
using parallm::providers::parse_retry_after;
using std::chrono::milliseconds;

namespace {

// Sun, 06 Nov 1994 08:49:37 GMT
const std::chrono::system_clock::time_point reference_now{std::chrono::seconds{784111777}};

// -1 stands for nullopt so that failures print a readable value.
long long delay(std::string_view retry_after, std::string_view retry_after_ms = {},
                std::chrono::system_clock::time_point now = reference_now) {
  const auto parsed = parse_retry_after(retry_after, retry_after_ms, now);
  return parsed ? parsed->count() : -1;
}

}  // namespace

BOOST_AUTO_TEST_CASE(delta_seconds_become_milliseconds) {
  BOOST_TEST(delay("0") == 0);
  BOOST_TEST(delay("7") == 7000);
  BOOST_TEST(delay("120") == 120000);
  BOOST_TEST(delay("007") == 7000);
  BOOST_TEST(delay("  3\t") == 3000);
}

BOOST_AUTO_TEST_CASE(decimal_seconds_round_up_to_the_millisecond) {
  BOOST_TEST(delay("1.5") == 1500);
  BOOST_TEST(delay("0.25") == 250);
  BOOST_TEST(delay("2.000") == 2000);
  BOOST_TEST(delay("0.0001") == 1);
  BOOST_TEST(delay("1.2341") == 1235);
  BOOST_TEST(delay("1.2340000") == 1234);
}

BOOST_AUTO_TEST_CASE(retry_after_ms_wins_when_valid) {
  BOOST_TEST(delay("10", "250") == 250);
  BOOST_TEST(delay("", "250") == 250);
  BOOST_TEST(delay("10", "0") == 0);
  BOOST_TEST(delay("Sun, 06 Nov 1994 08:50:37 GMT", "40") == 40);
}

BOOST_AUTO_TEST_CASE(fractional_milliseconds_round_up) {
  BOOST_TEST(delay("", "1500.2") == 1501);
  BOOST_TEST(delay("", "1500.0") == 1500);
  BOOST_TEST(delay("", "0.001") == 1);
}

BOOST_AUTO_TEST_CASE(an_invalid_retry_after_ms_falls_back_to_retry_after) {
  BOOST_TEST(delay("5", "-3") == 5000);
  BOOST_TEST(delay("5", "soon") == 5000);
  BOOST_TEST(delay("5", "1e3") == 5000);
  BOOST_TEST(delay("5", "   ") == 5000);
  BOOST_TEST(delay("", "-3") == -1);
}

BOOST_AUTO_TEST_CASE(garbage_negative_and_empty_give_nothing) {
  for (const std::string_view bad :
       {"", "   ", "-1", "+5", "abc", "5s", "1.", ".5", "1.2.3", "1,5", "1e3", "0x10", "inf", "nan",
        "5 6", "Sun, 06 Nov 1994", "tomorrow"}) {
    BOOST_TEST_CONTEXT("Retry-After: '" << bad << "'") {
      BOOST_TEST(delay(bad) == -1);
    }
  }
}

BOOST_AUTO_TEST_CASE(absurd_values_are_capped_at_an_hour) {
  const long long hour = max_retry_after.count();
  BOOST_TEST(hour == 3600000);
  BOOST_TEST(delay("3600") == hour);
  BOOST_TEST(delay("3601") == hour);
  BOOST_TEST(delay("3600.5") == hour);
  BOOST_TEST(delay("99999999999999999999999999999999") == hour);
  BOOST_TEST(delay("", "99999999999999999999999999999999.9") == hour);
  BOOST_TEST(delay("", "3600001") == hour);
}

BOOST_AUTO_TEST_CASE(imf_fixdate_gives_the_delay_until_then) {
  BOOST_TEST(delay("Sun, 06 Nov 1994 08:49:37 GMT") == 0);
  BOOST_TEST(delay("Sun, 06 Nov 1994 08:50:07 GMT") == 30000);
  BOOST_TEST(delay("Sun, 06 Nov 1994 09:49:37 GMT") == 3600000);
  BOOST_TEST(delay("Mon, 07 Nov 1994 00:00:00 GMT") == max_retry_after.count());
  // Across a month and a year boundary, from the last second of 1999.
  const std::chrono::system_clock::time_point new_year_eve{std::chrono::seconds{946684799}};
  BOOST_TEST(delay("Sat, 01 Jan 2000 00:00:01 GMT", {}, new_year_eve) == 2000);
}

BOOST_AUTO_TEST_CASE(a_date_in_the_past_means_now) {
  BOOST_TEST(delay("Sun, 06 Nov 1994 08:49:36 GMT") == 0);
  BOOST_TEST(delay("Thu, 01 Jan 1970 00:00:00 GMT") == 0);
  BOOST_TEST(delay("Mon, 01 Jan 0001 00:00:00 GMT") == 0);
}

BOOST_AUTO_TEST_CASE(a_far_future_date_is_capped_without_overflow) {
  BOOST_TEST(delay("Fri, 31 Dec 9999 23:59:59 GMT") == max_retry_after.count());
}

BOOST_AUTO_TEST_CASE(sub_second_now_rounds_the_delay_up) {
  const auto now = reference_now + std::chrono::microseconds{1500};
  BOOST_TEST(delay("Sun, 06 Nov 1994 08:49:38 GMT", {}, now) == 999);
}

BOOST_AUTO_TEST_CASE(rfc850_dates_are_accepted) {
  // Read as year 94 or 2094, this would give 0 or the cap, not 10 s.
  BOOST_TEST(delay("Sunday, 06-Nov-94 08:49:47 GMT") == 10000);
  // From 2030, "80" is 2080, 50 years ahead; "81" would be 51 years ahead, so it is 1981.
  const std::chrono::system_clock::time_point in_2030{std::chrono::seconds{1893456000}};
  BOOST_TEST(delay("Tuesday, 01-Jan-30 00:00:05 GMT", {}, in_2030) == 5000);
  BOOST_TEST(delay("Monday, 01-Jan-80 00:00:05 GMT", {}, in_2030) == max_retry_after.count());
  BOOST_TEST(delay("Thursday, 01-Jan-81 00:00:05 GMT", {}, in_2030) == 0);
}

BOOST_AUTO_TEST_CASE(asctime_dates_are_accepted) {
  BOOST_TEST(delay("Sun Nov  6 08:49:57 1994") == 20000);
  BOOST_TEST(delay("Sun Nov 16 08:49:37 1994") == max_retry_after.count());
}

BOOST_AUTO_TEST_CASE(malformed_dates_give_nothing) {
  for (const std::string_view bad : {
           "Sun, 06 Nov 1994 08:49:37 UTC",
           "Sun, 06 Nov 1994 08:49:37",
           "Sun, 06 Nov 1994 08:49:37 GMT junk",
           "sun, 06 Nov 1994 08:49:37 GMT",
           "Sun, 6 Nov 1994 08:49:37 GMT",
           "Sun, 06 Foo 1994 08:49:37 GMT",
           "Sun, 31 Feb 1994 08:49:37 GMT",
           "Sun, 00 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 1994 24:00:00 GMT",
           "Sun, 06 Nov 1994 08:60:00 GMT",
           "Sun, 06 Nov 1994 08:49:61 GMT",
           "Sun, 06 Nov 94 08:49:37 GMT",
           "Sun 06 Nov 1994 08:49:37 GMT",
           "Funday, 06-Nov-94 08:49:37 GMT",
           "Sunday, 06-Nov-1994 08:49:37 GMT",
           "Sun Nov  6 08:49:37",
           "Sun Nov x6 08:49:37 1994",
           "Sun, 06 Nov 1994 08:49:3",
       }) {
    BOOST_TEST_CONTEXT("Retry-After: '" << bad << "'") {
      BOOST_TEST(delay(bad) == -1);
    }
  }
}
