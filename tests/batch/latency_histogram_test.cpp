#define BOOST_TEST_MODULE latency_histogram
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <vector>

#include "batch/latency_histogram.hpp"

using parallm::batch::latency_histogram;
using std::chrono::microseconds;

namespace {

// The q-quantile as the histogram defines it: the ceil(q * n)-th smallest sample.
std::int64_t exact_percentile(std::vector<std::int64_t> samples, double q) {
  std::sort(samples.begin(), samples.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples.size())));
  return samples[std::max<std::size_t>(rank, 1) - 1];
}

void check_within(const latency_histogram& h, const std::vector<std::int64_t>& samples,
                  double tolerance) {
  for (double q : {0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0}) {
    const auto exact = static_cast<double>(exact_percentile(samples, q));
    const auto got = static_cast<double>(h.percentile(q).count());
    BOOST_TEST(std::abs(got - exact) <= tolerance * exact + 0.5,
               "q=" << q << " exact " << exact << " got " << got);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(empty_histogram_reports_zero) {
  const latency_histogram h;
  BOOST_TEST(h.count() == 0u);
  BOOST_TEST(h.percentile(0.5).count() == 0);
}

BOOST_AUTO_TEST_CASE(small_values_are_exact) {
  latency_histogram h;
  for (int v = 0; v < 32; ++v) h.record(microseconds{v});
  BOOST_TEST(h.count() == 32u);
  BOOST_TEST(h.percentile(0.5).count() == 15);
  BOOST_TEST(h.percentile(1.0).count() == 31);
  BOOST_TEST(h.percentile(0.0).count() == 0);
}

BOOST_AUTO_TEST_CASE(a_single_value_is_reported_exactly_by_min_max_clamping) {
  latency_histogram h;
  h.record(microseconds{812'345});
  BOOST_TEST(h.percentile(0.5).count() == 812'345);
  BOOST_TEST(h.percentile(0.99).count() == 812'345);
}

BOOST_AUTO_TEST_CASE(uniform_distribution_percentiles_within_two_percent) {
  latency_histogram h;
  std::vector<std::int64_t> samples;
  for (std::int64_t v = 1; v <= 100'000; ++v) {
    samples.push_back(v * 10);
    h.record(microseconds{v * 10});
  }
  check_within(h, samples, 0.02);
  BOOST_TEST(std::abs(h.percentile(0.5).count() - 500'000) <= 10'000);
}

BOOST_AUTO_TEST_CASE(lognormal_distribution_percentiles_within_two_percent) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> latency_us(std::log(800'000.0), 0.8);
  latency_histogram h;
  std::vector<std::int64_t> samples;
  for (int i = 0; i < 200'000; ++i) {
    const auto v = static_cast<std::int64_t>(latency_us(rng));
    samples.push_back(v);
    h.record(microseconds{v});
  }
  check_within(h, samples, 0.02);
}

BOOST_AUTO_TEST_CASE(bimodal_distribution_keeps_the_tail) {
  latency_histogram h;
  std::vector<std::int64_t> samples;
  for (int i = 0; i < 960; ++i) samples.push_back(100'000);
  for (int i = 0; i < 40; ++i) samples.push_back(30'000'000);
  for (auto v : samples) h.record(microseconds{v});
  BOOST_TEST(std::abs(h.percentile(0.5).count() - 100'000) <= 2'000);
  BOOST_TEST(std::abs(h.percentile(0.99).count() - 30'000'000) <= 600'000);
}

BOOST_AUTO_TEST_CASE(extreme_values_fit_and_negative_ones_count_as_zero) {
  latency_histogram h;
  h.record(microseconds{-5});
  h.record(microseconds::max());
  BOOST_TEST(h.count() == 2u);
  BOOST_TEST(h.percentile(0.5).count() == 0);
  BOOST_TEST(h.percentile(1.0) == microseconds::max());
}
