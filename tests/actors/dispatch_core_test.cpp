#define BOOST_TEST_MODULE dispatch_core
#include <boost/test/unit_test.hpp>

#include "actors/dispatch_core.hpp"

using namespace parallm;
using actors::dispatch_core;

namespace {

dispatch_core::options small_options() {
  dispatch_core::options opts;
  opts.window = 8;
  opts.read_batch = 4;
  opts.retry.max_retries = 2;
  opts.retry.initial = std::chrono::milliseconds(100);
  opts.retry.max = std::chrono::milliseconds(1000);
  return opts;
}

actors::call_batch calls_for(std::uint64_t first_seq, int n) {
  actors::call_batch batch;
  for (int i = 0; i < n; ++i) {
    batch.calls.push_back({first_seq + i, flow::call_request{0, 0, "p" + std::to_string(i), ""}});
  }
  return batch;
}

actors::attempt_result outcome(std::uint64_t task_id, providers::outcome_kind kind,
                               std::optional<std::chrono::milliseconds> retry_after = {}) {
  actors::attempt_result r;
  r.task_id = task_id;
  r.outcome.kind = kind;
  r.outcome.text = kind == providers::outcome_kind::ok ? "fine" : "";
  r.outcome.error = kind == providers::outcome_kind::ok ? "" : "HTTP 503";
  r.outcome.retry_after = retry_after;
  r.latency_ms = 12;
  return r;
}

// A core with one worker of `capacity` that was handed one call; returns that task's id.
std::uint64_t dispatch_one(dispatch_core& core, std::uint32_t capacity) {
  core.add_worker(capacity);
  core.add_calls(calls_for(0, 1));
  return core.dispatch().front().second.tasks.front().task_id;
}

dispatch_core::result_effects feed(dispatch_core& core,
                                   std::vector<actors::attempt_result> results) {
  dispatch_core::result_effects effects;
  core.on_results(actors::result_batch{std::move(results)}, effects);
  return effects;
}

std::size_t total_tasks(const std::vector<std::pair<std::size_t, actors::task_batch>>& out) {
  std::size_t n = 0;
  for (const auto& [w, b] : out) n += b.tasks.size();
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(window_asks_in_batches_and_refills_on_release) {
  dispatch_core core(small_options());
  BOOST_TEST(core.items_to_request() == 4u);
  core.mark_requested(4);
  BOOST_TEST(core.items_to_request() == 0u);  // one request at a time
  core.mark_admitted(4);
  BOOST_TEST(core.items_to_request() == 4u);
  core.mark_requested(4);
  core.mark_admitted(4);
  BOOST_TEST(core.in_window() == 8u);
  BOOST_TEST(core.items_to_request() == 0u);  // full
  core.mark_released(3);
  BOOST_TEST(core.items_to_request() == 0u);  // 3 free is less than a batch
  core.mark_released(1);
  BOOST_TEST(core.items_to_request() == 4u);
  core.stop_admitting();
  BOOST_TEST(core.items_to_request() == 0u);
}

BOOST_AUTO_TEST_CASE(dispatch_respects_worker_credit) {
  dispatch_core core(small_options());
  core.add_worker(2);
  core.add_worker(3);
  core.add_calls(calls_for(0, 10));
  const auto first = core.dispatch();
  BOOST_TEST(total_tasks(first) == 5u);
  BOOST_TEST(core.pending() == 5u);
  BOOST_TEST(core.dispatch().empty());  // no credit left
  // One result frees one slot of the worker that ran it.
  const auto task_id = first.front().second.tasks.front().task_id;
  dispatch_core::result_effects effects;
  actors::result_batch results;
  results.results.push_back(outcome(task_id, providers::outcome_kind::ok));
  core.on_results(std::move(results), effects);
  BOOST_TEST(effects.finished.calls.size() == 1u);
  BOOST_TEST(effects.finished.calls[0].result.ok);
  BOOST_TEST(effects.finished.calls[0].result.text == "fine");
  const auto second = core.dispatch();
  BOOST_TEST(total_tasks(second) == 1u);
  BOOST_TEST(second.front().first == first.front().first);
}

BOOST_AUTO_TEST_CASE(retryable_failures_retry_then_give_up_with_attempts_counted) {
  dispatch_core core(small_options());
  core.add_worker(4);
  core.add_calls(calls_for(7, 1));
  auto out = core.dispatch();
  const auto id = out.front().second.tasks.front().task_id;
  BOOST_TEST(out.front().second.tasks.front().attempt == 1u);
  for (std::uint32_t attempt = 1; attempt <= 2; ++attempt) {
    dispatch_core::result_effects effects;
    actors::result_batch results;
    results.results.push_back(outcome(id, providers::outcome_kind::retryable));
    core.on_results(std::move(results), effects);
    BOOST_TEST(effects.finished.calls.empty());
    BOOST_REQUIRE(effects.retries.size() == 1u);
    BOOST_TEST(effects.retries[0].delay.count() <= 100 * (1 << (attempt - 1)));
    BOOST_TEST(core.dispatch().empty());  // not before the delay passed
    core.retry_due(id);
    out = core.dispatch();
    BOOST_TEST(out.front().second.tasks.front().attempt == attempt + 1);
  }
  dispatch_core::result_effects effects;
  actors::result_batch results;
  results.results.push_back(outcome(id, providers::outcome_kind::retryable));
  core.on_results(std::move(results), effects);
  BOOST_TEST(effects.retries.empty());
  BOOST_REQUIRE(effects.finished.calls.size() == 1u);
  const auto& call = effects.finished.calls[0];
  BOOST_TEST(call.seq == 7u);
  BOOST_TEST(!call.result.ok);
  BOOST_TEST(call.result.attempts == 3);
  BOOST_TEST(call.result.error.find("gave up after 3 attempts") != std::string::npos);
  BOOST_TEST(core.in_flight() == 0u);
}

BOOST_AUTO_TEST_CASE(retry_after_is_a_floor_for_the_delay) {
  dispatch_core core(small_options());
  const auto id = dispatch_one(core, 1);
  const auto effects = feed(
      core, {outcome(id, providers::outcome_kind::retryable, std::chrono::milliseconds(5000))});
  BOOST_REQUIRE(effects.retries.size() == 1u);
  BOOST_TEST(effects.retries[0].delay.count() >= 5000);
}

BOOST_AUTO_TEST_CASE(final_failures_are_not_retried) {
  dispatch_core core(small_options());
  const auto id = dispatch_one(core, 1);
  const auto effects = feed(core, {outcome(id, providers::outcome_kind::final)});
  BOOST_TEST(effects.retries.empty());
  BOOST_REQUIRE(effects.finished.calls.size() == 1u);
  BOOST_TEST(effects.finished.calls[0].result.error == "HTTP 503");
  BOOST_TEST(effects.finished.calls[0].result.attempts == 1);
}

BOOST_AUTO_TEST_CASE(late_or_duplicate_results_are_ignored) {
  dispatch_core core(small_options());
  const auto id = dispatch_one(core, 2);
  const auto effects = feed(
      core, {outcome(id, providers::outcome_kind::ok), outcome(id, providers::outcome_kind::ok),
             outcome(9999, providers::outcome_kind::ok)});
  BOOST_TEST(effects.finished.calls.size() == 1u);
}
