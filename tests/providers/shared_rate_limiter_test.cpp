#define BOOST_TEST_MODULE shared_rate_limiter
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "limiter_clock.hpp"
#include "providers/shared_rate_limiter.hpp"

using namespace parallm;
using namespace parallm::test;

namespace {

const providers::rate_limiter::options k_limits{600, 0, false};

// How many of `tries` calls at one moment the limits let go.
int acquired_at_once(providers::shared_rate_limiter& limiter, int tries) {
  int n = 0;
  for (int i = 0; i < tries; ++i) n += limiter.try_acquire_or_hold(1, t0).acquired ? 1 : 0;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_refusal_says_what_holds_the_call_and_until_when) {
  providers::shared_rate_limiter limiter({60, 0, false});
  const auto first = limiter.try_acquire_or_hold(1, t0);
  BOOST_TEST(first.acquired);
  BOOST_TEST(!first.held.has_value());
  const auto second = limiter.try_acquire_or_hold(1, t0);
  BOOST_TEST(!second.acquired);
  BOOST_REQUIRE(second.held.has_value());
  BOOST_TEST((second.held->cause == providers::rate_limiter::hold_cause::rpm));
  BOOST_TEST(seconds_after_t0(second.held->until) > 0.0);
  BOOST_TEST(second.held_by == "limits.rpm");
  BOOST_TEST(limiter.try_acquire_or_hold(1, second.held->until).acquired);
}

BOOST_AUTO_TEST_CASE(threads_together_get_what_one_thread_alone_would) {
  providers::shared_rate_limiter alone(k_limits);
  const int expected = acquired_at_once(alone, 2000);
  BOOST_TEST(expected >= 1);
  BOOST_TEST(expected < 2000);

  providers::shared_rate_limiter shared(k_limits);
  std::atomic<int> total{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] { total += acquired_at_once(shared, 500); });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(total.load() == expected);
}
