#define BOOST_TEST_MODULE run_stats
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

#include "batch/run_stats.hpp"

using parallm::batch::run_stats;
using parallm::flow::item_status;
using namespace std::chrono_literals;

namespace {

const run_stats::clock::time_point start{};

// The example of the progress line's documentation: 4123 of 10000 done in 2.7 s.
run_stats example_stats() {
  run_stats stats(start);
  for (int i = 0; i < 4123; ++i) stats.admit();
  for (int i = 0; i < 4100; ++i) stats.record(item_status::ok, 9, 4, 800ms);
  for (int i = 0; i < 20; ++i) stats.record(item_status::partial, 30, 0, 1900ms);
  for (int i = 0; i < 3; ++i) stats.record(item_status::failed, 0, 0, 5s);
  for (int i = 0; i < 4123; ++i) stats.record_call(1, 0);
  stats.record_call(5, 3);  // one call needed four retries, three of them after a 429
  return stats;
}

// A tenth of the items take 2.5 s: p50 sits in the fast mode, p95 and p99 in the slow one.
run_stats slow_tail_stats() {
  run_stats stats(start);
  for (int i = 0; i < 900; ++i) stats.record(item_status::ok, 10, 10, 120ms);
  for (int i = 0; i < 100; ++i) stats.record(item_status::ok, 10, 10, 2500ms);
  return stats;
}

}  // namespace

BOOST_AUTO_TEST_CASE(counts_items_by_status_and_sums_tokens) {
  const auto stats = example_stats();
  BOOST_TEST(stats.admitted() == 4123u);
  BOOST_TEST(stats.ok() == 4100u);
  BOOST_TEST(stats.partial() == 20u);
  BOOST_TEST(stats.failed() == 3u);
  BOOST_TEST(stats.finished() == 4123u);
  BOOST_TEST(stats.prompt_tokens() == 4100u * 9 + 20u * 30);
  BOOST_TEST(stats.completion_tokens() == 4100u * 4);
  BOOST_TEST(stats.latencies().count() == 4123u);
  BOOST_TEST(stats.elapsed(start + 3s) == run_stats::clock::duration(3s));
  BOOST_TEST(stats.calls() == 4124u);
  BOOST_TEST(stats.attempts() == 4128u);
  BOOST_TEST(stats.rate_limited() == 3u);
}

BOOST_AUTO_TEST_CASE(progress_line_with_a_known_total) {
  const auto line = example_stats().progress_line(10000, 2712ms);
  BOOST_TEST(line ==
             "[########------------]  41%  4123/10000  ok 4100  partial 20  failed 3  "
             "| 1520 items/s | tokens 53.9k | ETA 4s");
}

BOOST_AUTO_TEST_CASE(progress_line_without_a_total_has_no_bar_percent_or_eta) {
  const auto line = example_stats().progress_line(0, 2712ms);
  BOOST_TEST(line == "4123  ok 4100  partial 20  failed 3  | 1520 items/s | tokens 53.9k");
}

BOOST_AUTO_TEST_CASE(progress_line_counts_resumed_items_as_done) {
  run_stats stats(start);
  for (int i = 0; i < 50; ++i) stats.skip_resumed();
  for (int i = 0; i < 50; ++i) stats.record(item_status::ok, 1, 1, 10ms);
  const auto line = stats.progress_line(100, 10s);
  BOOST_TEST(line ==
             "[####################] 100%  100/100  ok 50  partial 0  failed 0  skipped 50  "
             "| 5.0 items/s | tokens 100 | ETA 0s");
}

BOOST_AUTO_TEST_CASE(progress_line_before_anything_finished) {
  const run_stats stats(start);
  BOOST_TEST(stats.progress_line(10, 0s) ==
             "[--------------------]   0%  0/10  ok 0  partial 0  failed 0  | 0.0 items/s | "
             "tokens 0 | ETA ?");
}

BOOST_AUTO_TEST_CASE(summary_reports_items_tokens_time_throughput_and_latency) {
  auto stats = example_stats();
  stats.skip_resumed();
  const auto text = stats.summary(2712ms);
  BOOST_TEST(text ==
             "items:      4123 (ok 4100, partial 20, failed 3, skipped 1)\n"
             "tokens:     53.9k (prompt 37.5k, completion 16.4k)\n"
             "calls:      4124 (4 retries, 3 answered 429)\n"
             "wall time:  2.7s\n"
             "throughput: 1520 items/s, 19875 tokens/s\n"
             "latency:    p50 800ms, p95 800ms, p99 800ms\n");
}

BOOST_AUTO_TEST_CASE(summary_latency_shows_the_slow_tail) {
  const auto text = slow_tail_stats().summary(90s);
  BOOST_TEST(
      text.ends_with("wall time:  1m30s\n"
                     "throughput: 11.1 items/s, 222 tokens/s\n"
                     "latency:    p50 120ms, p95 2.5s, p99 2.5s\n"));
}

BOOST_AUTO_TEST_CASE(summary_of_an_empty_run) {
  const run_stats stats(start);
  BOOST_TEST(stats.summary(0s) ==
             "items:      0 (ok 0, partial 0, failed 0, skipped 0)\n"
             "tokens:     0 (prompt 0, completion 0)\n"
             "calls:      0 (no retries)\n"
             "wall time:  0.0ms\n"
             "throughput: 0.0 items/s, 0.0 tokens/s\n"
             "latency:    -\n");
}

BOOST_AUTO_TEST_CASE(summary_says_how_many_admitted_items_a_stop_left_unfinished) {
  auto stats = example_stats();
  for (int i = 0; i < 7; ++i) stats.admit();
  const auto text = stats.summary(2712ms);
  BOOST_TEST(text.starts_with("items:      4123 (ok 4100, partial 20, failed 3, skipped 0)\n"
                              "unfinished: 7 admitted items (not written; --resume runs them)\n"
                              "tokens:"),
             text);
}
