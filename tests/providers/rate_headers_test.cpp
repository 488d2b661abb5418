#define BOOST_TEST_MODULE rate_headers
#include <boost/test/unit_test.hpp>

#include "providers/rate_headers.hpp"
#include "providers/retry_after.hpp"

using namespace parallm::providers;
using std::chrono::milliseconds;

namespace {

// The wall-clock time the answer arrived: 2024-01-01T00:00:00Z.
const std::chrono::system_clock::time_point now =
    std::chrono::sys_days{std::chrono::January / 1 / 2024};

}  // namespace

BOOST_AUTO_TEST_CASE(reset_durations_in_openai_notation) {
  BOOST_TEST(parse_reset_duration("1s", now).value().count() == 1000);
  BOOST_TEST(parse_reset_duration("20ms", now).value().count() == 20);
  BOOST_TEST(parse_reset_duration("6m0s", now).value().count() == 360000);
  BOOST_TEST(parse_reset_duration("0h2m3.5s", now).value().count() == 123500);
  BOOST_TEST((parse_reset_duration("1h2m3.5s", now).value() == max_retry_after));
  BOOST_TEST(parse_reset_duration(" 0.25 ", now).value().count() == 250);
  BOOST_TEST(parse_reset_duration("7", now).value().count() == 7000);
}

BOOST_AUTO_TEST_CASE(plain_numbers_that_are_unix_times_give_the_delay_until_then) {
  // now is 1704067200 s after the epoch.
  BOOST_TEST(parse_reset_duration("1704067230", now).value().count() == 30000);
  BOOST_TEST(parse_reset_duration("1704067230.25", now).value().count() == 30250);
  BOOST_TEST(parse_reset_duration("1704067230000", now).value().count() == 30000);
  BOOST_TEST(parse_reset_duration("1704067200001", now).value().count() == 1);
  // Already passed: the bucket is full.
  BOOST_TEST(parse_reset_duration("1704067100", now).value().count() == 0);
  BOOST_TEST(parse_reset_duration("1000000000", now).value().count() == 0);
  // Just below the Unix range it is still a wait, bounded like any other.
  BOOST_TEST(parse_reset_duration("999999999", now).value() == max_retry_after);
}

BOOST_AUTO_TEST_CASE(every_reset_is_bounded_like_retry_after) {
  // A Unix time months away, a huge duration, an exponent out of any integer's range: none
  // may stall the run for longer than Retry-After can, nor overflow on the way (UBSan).
  for (const auto* huge : {"1732250000", "1732250000000", "100000000h", "1e300",
                           "99999999999999999999s", "3000000h2000000m", "59m61s"}) {
    const auto reset = parse_reset_duration(huge, now);
    BOOST_TEST(reset.has_value(), huge);
    if (reset) BOOST_TEST((reset.value() == max_retry_after), huge);
  }
  BOOST_TEST(parse_reset_duration("59m59s", now).value().count() == 3599000);
  const auto h =
      read_rate_headers({{"x-ratelimit-remaining-requests", "0"},
                         {"x-ratelimit-reset-requests", "1732250000"},
                         {"x-ratelimit-reset-tokens", "100000000h"},
                         {"anthropic-ratelimit-input-tokens-reset", "9999-12-31T23:59:59Z"}},
                        now);
  BOOST_TEST((h.reset_requests.value() == max_retry_after));
  BOOST_TEST((h.reset_tokens.value() == max_retry_after));
  const auto anthropic = read_rate_headers(
      {{"anthropic-ratelimit-requests-reset", "9999-12-31T23:59:59.999+23:59"}}, now);
  BOOST_TEST((anthropic.reset_requests.value() == max_retry_after));
}

BOOST_AUTO_TEST_CASE(garbage_durations_are_unset) {
  for (const auto* bad : {"", "s", "1x", "-1s", "1s2", "ms", "1.2.3s", "abc", "1e300ms"}) {
    BOOST_TEST(!parse_reset_duration(bad, now).has_value(), bad);
  }
}

BOOST_AUTO_TEST_CASE(headers_are_read_by_name_and_bad_values_left_unset) {
  const auto h = read_rate_headers({{"x-ratelimit-remaining-requests", "59"},
                                    {"x-ratelimit-reset-requests", "1s"},
                                    {"x-ratelimit-remaining-tokens", "oops"},
                                    {"x-ratelimit-reset-tokens", "6m0s"},
                                    {"x-ratelimit-limit-requests", "60"},
                                    {"x-ratelimit-limit-tokens", "150000x"}},
                                   now);
  BOOST_TEST(h.limit_requests.value() == 60.0);
  BOOST_TEST(!h.limit_tokens.has_value());
  BOOST_TEST(h.remaining_requests.value() == 59.0);
  BOOST_TEST(h.reset_requests.value().count() == 1000);
  BOOST_TEST(!h.remaining_tokens.has_value());
  BOOST_TEST(h.reset_tokens.value().count() == 360000);
  BOOST_TEST(!h.empty());
  BOOST_TEST(read_rate_headers({{"content-type", "application/json"}}, now).empty());
}

BOOST_AUTO_TEST_CASE(openai_limits_are_read_for_requests_and_tokens) {
  const auto h = read_rate_headers({{"x-ratelimit-limit-requests", "10000"},
                                    {"x-ratelimit-limit-tokens", " 2000000 "},
                                    {"x-ratelimit-remaining-requests", "9999"},
                                    {"x-ratelimit-remaining-tokens", "1999850"},
                                    {"x-ratelimit-reset-requests", "6ms"},
                                    {"x-ratelimit-reset-tokens", "4ms"}},
                                   now);
  BOOST_TEST(h.limit_requests.value() == 10000.0);
  BOOST_TEST(h.limit_tokens.value() == 2000000.0);
  BOOST_TEST(h.remaining_tokens.value() == 1999850.0);
  BOOST_TEST(h.reset_requests.value().count() == 6);
  BOOST_TEST(h.reset_tokens.value().count() == 4);
}

BOOST_AUTO_TEST_CASE(unparsable_limits_are_unset) {
  for (const auto* bad : {"", "-5", "+5", "1e", "ten", "5 5", "inf", "nan"}) {
    const auto h = read_rate_headers(
        {{"x-ratelimit-limit-requests", bad}, {"x-ratelimit-limit-tokens", bad}}, now);
    BOOST_TEST(!h.limit_requests.has_value(), bad);
    BOOST_TEST(!h.limit_tokens.has_value(), bad);
    BOOST_TEST(h.empty(), bad);
  }
}

BOOST_AUTO_TEST_CASE(a_limit_alone_is_not_empty) {
  BOOST_TEST(!read_rate_headers({{"x-ratelimit-limit-requests", "60"}}, now).empty());
  BOOST_TEST(!read_rate_headers({{"x-ratelimit-limit-tokens", "60"}}, now).empty());
}

BOOST_AUTO_TEST_CASE(anthropic_headers_are_read_as_the_same_buckets) {
  const auto h =
      read_rate_headers({{"anthropic-ratelimit-requests-limit", "50"},
                         {"anthropic-ratelimit-requests-remaining", "0"},
                         {"anthropic-ratelimit-requests-reset", "2024-01-01T00:01:00Z"},
                         {"anthropic-ratelimit-tokens-limit", "96000"},
                         {"anthropic-ratelimit-tokens-remaining", "95000"},
                         {"anthropic-ratelimit-tokens-reset", "2024-01-01T00:00:00.625Z"}},
                        now);
  BOOST_TEST(h.limit_requests.value() == 50.0);
  BOOST_TEST(h.remaining_requests.value() == 0.0);
  BOOST_TEST(h.reset_requests.value().count() == 60000);
  BOOST_TEST(h.limit_tokens.value() == 96000.0);
  BOOST_TEST(h.remaining_tokens.value() == 95000.0);
  BOOST_TEST(h.reset_tokens.value().count() == 625);
}

BOOST_AUTO_TEST_CASE(anthropic_resets_are_durations_from_now_whatever_the_offset) {
  for (const auto* reset :
       {"2024-01-01T00:00:02.5Z", "2024-01-01T02:00:02.5+02:00", "2023-12-31T19:00:02.500-05:00"}) {
    const auto h = read_rate_headers({{"anthropic-ratelimit-requests-reset", reset}}, now);
    BOOST_TEST(h.reset_requests.value().count() == 2500, reset);
  }
  // A later now leaves less of the wait; within a millisecond it rounds up, never down.
  const auto later = now + std::chrono::milliseconds{1000} + std::chrono::microseconds{300};
  const auto h =
      read_rate_headers({{"anthropic-ratelimit-tokens-reset", "2024-01-01T00:00:02.5Z"}}, later);
  BOOST_TEST(h.reset_tokens.value().count() == 1500);
}

BOOST_AUTO_TEST_CASE(an_anthropic_reset_already_past_is_zero) {
  // The bucket is already full: the limiter ignores a zero reset, so it restricts nothing.
  for (const auto* reset :
       {"2024-01-01T00:00:00Z", "2023-12-31T23:59:59.999Z", "2020-06-01T12:00:00+01:00"}) {
    const auto h = read_rate_headers({{"anthropic-ratelimit-requests-limit", "50"},
                                      {"anthropic-ratelimit-requests-remaining", "49"},
                                      {"anthropic-ratelimit-requests-reset", reset}},
                                     now);
    BOOST_TEST(h.reset_requests.value().count() == 0, reset);
    BOOST_TEST(h.remaining_requests.value() == 49.0, reset);
  }
}

BOOST_AUTO_TEST_CASE(garbage_anthropic_values_are_unset) {
  for (const auto* bad :
       {"", "soon", "-5", "60s", "2024-01-01", "2024-02-30T00:00:00Z", "2024-01-01T00:00:30"}) {
    const auto h = read_rate_headers({{"anthropic-ratelimit-requests-limit", bad},
                                      {"anthropic-ratelimit-requests-remaining", bad},
                                      {"anthropic-ratelimit-requests-reset", bad},
                                      {"anthropic-ratelimit-tokens-reset", bad}},
                                     now);
    BOOST_TEST(h.empty(), bad);
  }
  // One bad value leaves the others of its bucket readable.
  const auto h = read_rate_headers({{"anthropic-ratelimit-requests-limit", "fifty"},
                                    {"anthropic-ratelimit-requests-remaining", "3"},
                                    {"anthropic-ratelimit-requests-reset", "tomorrow"}},
                                   now);
  BOOST_TEST(!h.limit_requests.has_value());
  BOOST_TEST(h.remaining_requests.value() == 3.0);
  BOOST_TEST(!h.reset_requests.has_value());
}

BOOST_AUTO_TEST_CASE(other_anthropic_headers_and_missing_ones_set_nothing) {
  BOOST_TEST(read_rate_headers({{"anthropic-organization-id", "org-1"},
                                {"anthropic-ratelimit-requests-used", "7"},
                                {"anthropic-ratelimit-unified-reset", "1704067230"},
                                {"request-id", "req_1"}},
                               now)
                 .empty());
  // Requests alone: the token fields stay unset.
  const auto h = read_rate_headers({{"anthropic-ratelimit-requests-remaining", "10"}}, now);
  BOOST_TEST(h.remaining_requests.value() == 10.0);
  BOOST_TEST(!h.limit_tokens.has_value());
  BOOST_TEST(!h.remaining_tokens.has_value());
  BOOST_TEST(!h.reset_tokens.has_value());
}

BOOST_AUTO_TEST_CASE(the_combined_token_bucket_wins_over_input_and_output) {
  const auto h =
      read_rate_headers({{"anthropic-ratelimit-input-tokens-limit", "80000"},
                         {"anthropic-ratelimit-input-tokens-remaining", "1000"},
                         {"anthropic-ratelimit-input-tokens-reset", "2024-01-01T00:00:59Z"},
                         {"anthropic-ratelimit-output-tokens-limit", "16000"},
                         {"anthropic-ratelimit-output-tokens-remaining", "0"},
                         {"anthropic-ratelimit-output-tokens-reset", "2024-01-01T00:01:00Z"},
                         {"anthropic-ratelimit-tokens-limit", "96000"},
                         {"anthropic-ratelimit-tokens-remaining", "17000"},
                         {"anthropic-ratelimit-tokens-reset", "2024-01-01T00:00:50Z"}},
                        now);
  BOOST_TEST(h.limit_tokens.value() == 96000.0);
  BOOST_TEST(h.remaining_tokens.value() == 17000.0);
  BOOST_TEST(h.reset_tokens.value().count() == 50000);
}

BOOST_AUTO_TEST_CASE(without_the_combined_bucket_the_input_one_is_taken_whole) {
  const auto input =
      read_rate_headers({{"anthropic-ratelimit-output-tokens-limit", "16000"},
                         {"anthropic-ratelimit-output-tokens-remaining", "0"},
                         {"anthropic-ratelimit-input-tokens-limit", "80000"},
                         {"anthropic-ratelimit-input-tokens-remaining", "40000"},
                         {"anthropic-ratelimit-input-tokens-reset", "2024-01-01T00:00:30Z"}},
                        now);
  BOOST_TEST(input.limit_tokens.value() == 80000.0);
  BOOST_TEST(input.remaining_tokens.value() == 40000.0);
  BOOST_TEST(input.reset_tokens.value().count() == 30000);

  // A combined bucket whose values are all unreadable counts as absent; a partly readable one
  // is still taken whole, not patched with the input bucket's values.
  const auto unreadable = read_rate_headers({{"anthropic-ratelimit-tokens-limit", "lots"},
                                             {"anthropic-ratelimit-input-tokens-limit", "80000"}},
                                            now);
  BOOST_TEST(unreadable.limit_tokens.value() == 80000.0);
  const auto partly =
      read_rate_headers({{"anthropic-ratelimit-tokens-remaining", "500"},
                         {"anthropic-ratelimit-input-tokens-limit", "80000"},
                         {"anthropic-ratelimit-input-tokens-reset", "2024-01-01T00:00:30Z"}},
                        now);
  BOOST_TEST(partly.remaining_tokens.value() == 500.0);
  BOOST_TEST(!partly.limit_tokens.has_value());
  BOOST_TEST(!partly.reset_tokens.has_value());

  // Output tokens alone never pace the combined estimate.
  BOOST_TEST(
      read_rate_headers({{"anthropic-ratelimit-output-tokens-limit", "16000"},
                         {"anthropic-ratelimit-output-tokens-remaining", "0"},
                         {"anthropic-ratelimit-output-tokens-reset", "2024-01-01T00:01:00Z"}},
                        now)
          .empty());
}
