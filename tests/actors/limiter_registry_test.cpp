#define BOOST_TEST_MODULE limiter_registry
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "actors/dispatch_core.hpp"
#include "actors/endpoint_setup.hpp"
#include "actors/limiter_registry.hpp"
#include "config/job_loader.hpp"
#include "dispatch_core_fixture.hpp"

using namespace parallm;
using namespace parallm::actors::testing;
using actors::dispatch_core;
using actors::limiter_registry;

namespace {

const providers::rate_limiter::options one_a_second{60, 0, false};

// One batch's core against the endpoint "e" at 60 rpm, its limiter from `registry`, or a
// fresh one of its own without.
dispatch_core batch_core(limiter_registry* registry, std::uint64_t batch) {
  auto opts = small_options();
  opts.window = 1000;
  opts.batch = batch;
  opts.endpoints.push_back(one_a_second);
  if (registry) opts.limiters.push_back(registry->acquire("e", one_a_second));
  return dispatch_core(opts);
}

// Two batches with plenty of calls dispatching every 100 ms for three minutes, every task
// answered at once; the times the calls of both went out, in order.
std::vector<clock::time_point> sent_by_two_batches(limiter_registry* registry) {
  auto a = batch_core(registry, 1);
  auto b = batch_core(registry, 2);
  std::vector<clock::time_point> sent;
  for (auto* core : {&a, &b}) {
    core->add_worker(8);
    core->add_calls(calls_for(0, 400));
  }
  for (int step = 0; step < 1800; ++step) {
    const auto now = t0 + std::chrono::milliseconds(100 * step);
    // Either may ask first: the batches run on their own threads.
    auto* first = step % 2 == 0 ? &a : &b;
    auto* second = first == &a ? &b : &a;
    for (auto* core : {first, second}) {
      std::vector<actors::attempt_result> answers;
      for (const auto& t : tasks_of(core->dispatch(now))) {
        sent.push_back(now);
        answers.push_back(outcome(t, providers::outcome_kind::ok));
      }
      feed(*core, std::move(answers), now);
    }
  }
  return sent;
}

// The most calls any 60 s window holds.
std::size_t most_in_a_minute(const std::vector<clock::time_point>& sent) {
  std::size_t most = 0;
  for (auto start = sent.begin(); start != sent.end(); ++start) {
    const auto end = std::lower_bound(start, sent.end(), *start + std::chrono::seconds(60));
    most = std::max<std::size_t>(most, static_cast<std::size_t>(end - start));
  }
  return most;
}

const std::string k_two_models =
    R"(provider: { kind: openai, base_url: "http://127.0.0.1:9/v1", model: m }
limits: { rpm: 60 }
nodes:
  a: { prompt: "a {{x}}" }
  b: { prompt: "b {{x}}", provider: { model: other } }
)";

std::shared_ptr<const flow::graph> compile(const std::string& text) {
  const auto loaded = config::parse_job(text, "job.yaml");
  BOOST_TEST_REQUIRE(loaded.errors.empty());
  return flow::graph::compile(*loaded.value);
}

}  // namespace

BOOST_AUTO_TEST_CASE(two_batches_sharing_a_limiter_stay_within_the_rpm_together) {
  limiter_registry registry;
  const auto sent = sent_by_two_batches(&registry);
  BOOST_TEST(most_in_a_minute(sent) <= 60u);
  BOOST_TEST(sent.size() >= 170u);  // about one a second over three minutes: not starved
}

BOOST_AUTO_TEST_CASE(two_batches_with_limiters_of_their_own_each_take_the_whole_rpm) {
  const auto sent = sent_by_two_batches(nullptr);
  BOOST_TEST(most_in_a_minute(sent) > 100u);  // what sharing prevents
}

BOOST_AUTO_TEST_CASE(one_identity_gets_one_limiter_and_different_ones_do_not_share) {
  limiter_registry registry;
  const auto a = registry.acquire("a", one_a_second);
  const auto again = registry.acquire("a", providers::rate_limiter::options{});
  const auto b = registry.acquire("b", one_a_second);
  BOOST_TEST(a == again);
  BOOST_TEST(a != b);
  BOOST_TEST(registry.size() == 2u);
  // The first batch's limits stay: the second asked for none, and still waits.
  BOOST_TEST(again->try_acquire_or_hold(1, t0).acquired);
  const auto second = a->try_acquire_or_hold(1, t0);
  BOOST_TEST(!second.acquired);
  BOOST_TEST(second.held_by == "limits.rpm");
  BOOST_TEST(b->try_acquire_or_hold(1, t0).acquired);  // its own budget
}

BOOST_AUTO_TEST_CASE(the_entry_goes_with_its_last_user_and_comes_back_fresh) {
  limiter_registry registry;
  auto first = registry.acquire("e", one_a_second);
  auto second = registry.acquire("e", one_a_second);
  BOOST_TEST(first->try_acquire_or_hold(1, t0).acquired);
  first.reset();
  BOOST_TEST(registry.size() == 1u);
  BOOST_TEST(!second->try_acquire_or_hold(1, t0).acquired);
  second.reset();
  BOOST_TEST(registry.size() == 0u);
  const auto fresh = registry.acquire("e", one_a_second);
  BOOST_TEST(fresh->try_acquire_or_hold(1, t0).acquired);  // no charge from before
}

BOOST_AUTO_TEST_CASE(batches_of_jobs_calling_the_same_endpoints_share_per_endpoint) {
  const auto graph = compile(k_two_models);
  limiter_registry registry;
  dispatch_core::options one, other, alone;
  actors::add_endpoints(*graph, one, &registry);
  actors::add_endpoints(*graph, other, &registry);
  actors::add_endpoints(*graph, alone);
  BOOST_REQUIRE(one.limiters.size() == 2u);
  BOOST_REQUIRE(other.limiters.size() == 2u);
  BOOST_TEST(one.limiters[0] == other.limiters[0]);
  BOOST_TEST(one.limiters[1] == other.limiters[1]);
  BOOST_TEST(one.limiters[0] != one.limiters[1]);  // model m and model other
  BOOST_TEST(registry.size() == 2u);
  BOOST_TEST(alone.limiters.empty());  // `run`: fresh limiters of its own
  BOOST_TEST(alone.endpoints.size() == 2u);
}
