#define BOOST_TEST_MODULE rfc3339
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "providers/rfc3339.hpp"

using parallm::providers::parse_rfc3339;
using namespace std::chrono;

namespace {

// Milliseconds since the epoch, which Boost.Test can print.
long long epoch_ms(std::string_view text) {
  const auto when = parse_rfc3339(text);
  BOOST_TEST_REQUIRE(when.has_value(), text);
  return when->time_since_epoch().count();
}

long long epoch_ms(year_month_day date, hours h, minutes m, milliseconds ms) {
  return (sys_days{date} + h + m + ms).time_since_epoch().count();
}

const year_month_day new_year_2024 = January / 1 / 2024;

}  // namespace

BOOST_AUTO_TEST_CASE(utc_timestamps) {
  BOOST_TEST(epoch_ms("1970-01-01T00:00:00Z") == 0);
  BOOST_TEST(epoch_ms("2024-01-01T00:00:30Z") == epoch_ms(new_year_2024, 0h, 0min, 30s));
  BOOST_TEST(epoch_ms("2025-08-21T12:40:59Z") == 1755780059000);
  // Lower-case t and z, and a space between date and time, as RFC 3339 allows.
  BOOST_TEST(epoch_ms("2024-01-01t00:00:30z") == epoch_ms(new_year_2024, 0h, 0min, 30s));
  BOOST_TEST(epoch_ms("2024-01-01 00:00:30Z") == epoch_ms(new_year_2024, 0h, 0min, 30s));
  BOOST_TEST(epoch_ms("2024-02-29T23:59:59Z") == epoch_ms(February / 29 / 2024, 23h, 59min, 59s));
  // A leap second is the second after :59.
  BOOST_TEST(epoch_ms("2016-12-31T23:59:60Z") == epoch_ms(January / 1 / 2017, 0h, 0min, 0s));
}

BOOST_AUTO_TEST_CASE(fractional_seconds) {
  const auto base = epoch_ms(new_year_2024, 0h, 0min, 30s);
  BOOST_TEST(epoch_ms("2024-01-01T00:00:30.5Z") == base + 500);
  BOOST_TEST(epoch_ms("2024-01-01T00:00:30.25Z") == base + 250);
  BOOST_TEST(epoch_ms("2024-01-01T00:00:30.123Z") == base + 123);
  BOOST_TEST(epoch_ms("2024-01-01T00:00:30.000000Z") == base);
  // Finer than a millisecond rounds up: a reset is never read earlier than written.
  BOOST_TEST(epoch_ms("2024-01-01T00:00:30.123000001Z") == base + 124);
  BOOST_TEST(epoch_ms("2024-01-01T00:00:30.9999Z") == base + 1000);
}

BOOST_AUTO_TEST_CASE(numeric_offsets_are_taken_off_the_local_time) {
  const auto utc = epoch_ms(new_year_2024, 0h, 0min, 30s);
  BOOST_TEST(epoch_ms("2024-01-01T00:00:30+00:00") == utc);
  BOOST_TEST(epoch_ms("2024-01-01T00:00:30-00:00") == utc);
  BOOST_TEST(epoch_ms("2024-01-01T02:00:30+02:00") == utc);
  BOOST_TEST(epoch_ms("2024-01-01T05:30:30.5+05:30") == utc + 500);
  // West of Greenwich the local date can still be the day before.
  BOOST_TEST(epoch_ms("2023-12-31T19:00:30-05:00") == utc);
  BOOST_TEST(epoch_ms("2023-12-31T23:15:30-00:45") == utc);
}

BOOST_AUTO_TEST_CASE(anything_else_is_nullopt) {
  for (const auto* bad : {"",
                          "garbage",
                          "2024-01-01",
                          "2024-01-01T00:00:30",  // no offset
                          "2024-01-01T00:00Z",
                          "2024-01-01X00:00:30Z",
                          "2024-1-01T00:00:30Z",
                          "24-01-01T00:00:30Z",
                          "2024-01-01T00:00:30.Z",
                          "2024-01-01T00:00:30,5Z",
                          "2024-01-01T00:00:30+0200",
                          "2024-01-01T00:00:30+2:00",
                          "2024-01-01T00:00:30+24:00",
                          "2024-01-01T00:00:30+02:60",
                          "2024-01-01T00:00:30Z ",
                          " 2024-01-01T00:00:30Z",
                          "2024-01-01T00:00:30ZZ",
                          "2024-13-01T00:00:30Z",
                          "2024-00-01T00:00:30Z",
                          "2023-02-29T00:00:30Z",
                          "2024-04-31T00:00:30Z",
                          "2024-01-00T00:00:30Z",
                          "2024-01-01T24:00:00Z",
                          "2024-01-01T00:60:00Z",
                          "2024-01-01T00:00:61Z",
                          "2024-01-01T0a:00:30Z",
                          "1s",
                          "1704067230"}) {
    BOOST_TEST(!parse_rfc3339(bad).has_value(), bad);
  }
}
