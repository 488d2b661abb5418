#define BOOST_TEST_MODULE dispatch_core
#include <boost/test/unit_test.hpp>

#include "actors/dispatch_core.hpp"
#include "dispatch_core_fixture.hpp"

using namespace parallm;
using actors::dispatch_core;

using namespace parallm::actors::testing;

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
  const auto first = core.dispatch(t0);
  BOOST_TEST(total_tasks(first) == 5u);
  BOOST_TEST(core.pending() == 5u);
  BOOST_TEST(core.dispatch(t0).batches.empty());  // no credit left
  // One result frees one slot of the worker that ran it.
  const auto effects = feed(core, {outcome(tasks_of(first).front(), providers::outcome_kind::ok)});
  BOOST_TEST(effects.finished.calls.size() == 1u);
  BOOST_TEST(effects.finished.calls[0].result.ok);
  BOOST_TEST(effects.finished.calls[0].result.text == "fine");
  const auto second = core.dispatch(t0);
  BOOST_TEST(total_tasks(second) == 1u);
  BOOST_TEST(second.batches.front().first == first.batches.front().first);
}

BOOST_AUTO_TEST_CASE(retryable_failures_retry_then_give_up_with_attempts_counted) {
  dispatch_core core(small_options());
  core.add_worker(4);
  core.add_calls(calls_for(7, 1));
  auto t = core.dispatch(t0).batches.front().second.tasks.front();
  BOOST_TEST(t.attempt == 1u);
  for (std::uint32_t attempt = 1; attempt <= 2; ++attempt) {
    dispatch_core::result_effects effects;
    actors::result_batch results;
    results.results.push_back(outcome(t, providers::outcome_kind::retryable));
    core.on_results(std::move(results), t0, effects);
    BOOST_TEST(effects.finished.calls.empty());
    BOOST_REQUIRE(effects.retries.size() == 1u);
    BOOST_TEST(effects.retries[0].delay.count() <= 100 * (1 << (attempt - 1)));
    BOOST_TEST(core.dispatch(t0).batches.empty());  // not before the delay passed
    core.retry_due(t.key);
    const auto again = core.dispatch(t0).batches.front().second.tasks.front();
    BOOST_TEST((again.key == t.key));
    BOOST_TEST(again.attempt == attempt + 1);
    t = again;
  }
  dispatch_core::result_effects effects;
  actors::result_batch results;
  results.results.push_back(outcome(t, providers::outcome_kind::retryable));
  core.on_results(std::move(results), t0, effects);
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
  const auto t = dispatch_one(core, 1);
  const auto effects =
      feed(core, {outcome(t, providers::outcome_kind::retryable, std::chrono::milliseconds(5000))});
  BOOST_REQUIRE(effects.retries.size() == 1u);
  BOOST_TEST(effects.retries[0].delay.count() >= 5000);
}

BOOST_AUTO_TEST_CASE(a_finished_call_says_how_many_of_its_attempts_were_answered_429) {
  dispatch_core core(small_options());
  const auto first = dispatch_one(core, 1);
  auto rejected = outcome(first, providers::outcome_kind::retryable);
  rejected.outcome.http_status = 429;
  BOOST_REQUIRE(feed(core, {rejected}).retries.size() == 1u);
  core.retry_due(first.key);
  // The 429 slowed the endpoint down: the retry goes out well after it.
  const auto second = tasks_of(core.dispatch(t0 + std::chrono::seconds(10)));
  BOOST_REQUIRE(second.size() == 1u);
  auto server_error = outcome(second[0], providers::outcome_kind::retryable);
  server_error.outcome.http_status = 503;
  BOOST_REQUIRE(feed(core, {server_error}).retries.size() == 1u);
  core.retry_due(first.key);
  const auto third = tasks_of(core.dispatch(t0 + std::chrono::seconds(20)));
  BOOST_REQUIRE(third.size() == 1u);
  const auto effects = feed(core, {outcome(third[0], providers::outcome_kind::ok)});
  BOOST_REQUIRE(effects.finished.calls.size() == 1u);
  const auto& call = effects.finished.calls[0].result;
  BOOST_TEST(call.ok);
  BOOST_TEST(call.attempts == 3);
  BOOST_TEST(call.rate_limited == 1);
}

BOOST_AUTO_TEST_CASE(final_failures_are_not_retried) {
  dispatch_core core(small_options());
  const auto t = dispatch_one(core, 1);
  const auto effects = feed(core, {outcome(t, providers::outcome_kind::final)});
  BOOST_TEST(effects.retries.empty());
  BOOST_REQUIRE(effects.finished.calls.size() == 1u);
  BOOST_TEST(effects.finished.calls[0].result.error == "HTTP 503");
  BOOST_TEST(effects.finished.calls[0].result.attempts == 1);
}

BOOST_AUTO_TEST_CASE(a_call_for_n_choices_keeps_its_count_and_gets_every_choice_back) {
  dispatch_core core(small_options());
  core.add_worker(1);
  core.add_calls(actors::call_batch{{{3, flow::call_request{0, 0, "p", "", 3}}}});
  const auto plan = core.dispatch(t0);
  BOOST_REQUIRE(total_tasks(plan) == 1u);
  const auto& t = plan.batches.front().second.tasks.front();
  BOOST_TEST(t.count == 3u);
  auto answer = outcome(t, providers::outcome_kind::ok);
  answer.outcome.more_texts = {"second", "third"};
  const auto effects = feed(core, {answer});
  BOOST_REQUIRE(effects.finished.calls.size() == 1u);
  const auto& result = effects.finished.calls[0].result;
  BOOST_TEST(result.text == "fine");
  BOOST_TEST(result.more_texts == (std::vector<std::string>{"second", "third"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(late_or_duplicate_results_are_ignored) {
  dispatch_core core(small_options());
  const auto t = dispatch_one(core, 2);
  auto never_sent = t;
  never_sent.key.counter = 9999;
  const auto effects =
      feed(core, {outcome(t, providers::outcome_kind::ok), outcome(t, providers::outcome_kind::ok),
                  outcome(never_sent, providers::outcome_kind::ok)});
  BOOST_TEST(effects.finished.calls.size() == 1u);
  BOOST_TEST(core.stale_results() == 1u);    // the duplicate: a task of ours, finished
  BOOST_TEST(core.unknown_results() == 1u);  // a counter this core never handed out
}

BOOST_AUTO_TEST_CASE(a_late_answer_to_an_attempt_since_retried_is_stale) {
  dispatch_core core(small_options());
  const auto first = dispatch_one(core, 2);
  BOOST_TEST(first.key.counter == 1u);
  BOOST_TEST_REQUIRE(
      feed(core, {outcome(first, providers::outcome_kind::retryable)}).retries.size() == 1u);
  // Attempt 1 answers again while the task waits for its retry, and once attempt 2 is out.
  auto late = outcome(first, providers::outcome_kind::ok);
  BOOST_TEST(feed(core, {late}).finished.calls.empty());
  core.retry_due(first.key);
  const auto second = tasks_of(core.dispatch(t0));
  BOOST_TEST_REQUIRE(second.size() == 1u);
  BOOST_TEST(second[0].attempt == 2u);
  BOOST_TEST(feed(core, {late}).finished.calls.empty());
  BOOST_TEST(core.stale_results() == 2u);
  BOOST_TEST(core.unknown_results() == 0u);
  // Attempt 2's own answer finishes the call, as attempt 2, and the worker has its slot back.
  const auto effects = feed(core, {outcome(second[0], providers::outcome_kind::ok)});
  BOOST_TEST_REQUIRE(effects.finished.calls.size() == 1u);
  BOOST_TEST(effects.finished.calls[0].result.attempts == 2);
  core.add_calls(calls_for(1, 3));
  BOOST_TEST(total_tasks(core.dispatch(t0)) == 2u);  // capacity 2: no slot lost, none extra
}

BOOST_AUTO_TEST_CASE(an_answer_from_another_epoch_or_batch_is_unknown) {
  auto opts = small_options();
  opts.epoch = 0x1234'5678'9abc'def0ULL;
  opts.batch = 3;
  dispatch_core core(opts);
  const auto t = dispatch_one(core, 1);
  BOOST_TEST(t.key.epoch == opts.epoch);
  BOOST_TEST(t.key.batch == 3u);
  // The same counter and attempt from a coordinator that ran before a restart.
  auto before_restart = t;
  before_restart.key.epoch = 0x0fed'cba9'8765'4321ULL;
  auto other_batch = t;
  other_batch.key.batch = 4;
  const auto effects = feed(core, {outcome(before_restart, providers::outcome_kind::ok),
                                   outcome(other_batch, providers::outcome_kind::ok)});
  BOOST_TEST(effects.finished.calls.empty());
  BOOST_TEST(core.unknown_results() == 2u);
  BOOST_TEST(core.stale_results() == 0u);
  BOOST_TEST(core.in_flight() == 1u);
  BOOST_TEST(feed(core, {outcome(t, providers::outcome_kind::ok)}).finished.calls.size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_rpm_limit_holds_calls_back_and_says_when_to_wake) {
  auto opts = small_options();
  opts.endpoints.push_back({60, 0, false});  // one request a second
  dispatch_core core(opts);
  core.add_worker(8);
  core.add_calls(calls_for(0, 3));
  const auto first = core.dispatch(t0);
  BOOST_TEST(total_tasks(first) == 1u);
  BOOST_REQUIRE(first.wake_at.has_value());
  BOOST_TEST(std::chrono::duration<double>(*first.wake_at - t0).count() > 0.5);
  BOOST_TEST(std::chrono::duration<double>(*first.wake_at - t0).count() <= 1.05);
  BOOST_TEST(total_tasks(core.dispatch(t0 + std::chrono::milliseconds(100))) == 0u);
  const auto later = core.dispatch(*first.wake_at);
  BOOST_TEST(total_tasks(later) == 1u);
  BOOST_TEST(core.pending() == 1u);
}

BOOST_AUTO_TEST_CASE(each_endpoint_has_its_own_limit) {
  auto opts = small_options();
  opts.endpoints.push_back({60, 0, false});  // endpoint 0: one a second
  opts.endpoints.push_back({});              // endpoint 1: unlimited
  opts.node_endpoint = {0, 1};
  opts.node_profile = {0, 1};
  dispatch_core core(opts);
  core.add_worker(8);
  actors::call_batch batch;
  for (std::uint32_t node : {0u, 0u, 0u, 1u, 1u, 1u}) {
    batch.calls.push_back({node, flow::call_request{node, 0, "p", ""}});
  }
  core.add_calls(std::move(batch));
  const auto plan = core.dispatch(t0);
  std::size_t to_node1 = 0;
  for (const auto& [w, b] : plan.batches) {
    for (const auto& t : b.tasks) to_node1 += t.profile == 1;
  }
  BOOST_TEST(total_tasks(plan) == 4u);  // 1 of endpoint 0, all 3 of endpoint 1
  BOOST_TEST(to_node1 == 3u);
  BOOST_TEST(plan.wake_at.has_value());
}

BOOST_AUTO_TEST_CASE(a_429_slows_an_adaptive_endpoint_down) {
  auto opts = small_options();
  opts.window = 64;
  opts.retry.max_retries = 5;
  opts.endpoints.push_back({0, 0, true});
  dispatch_core core(opts);
  core.add_worker(64);
  core.add_calls(calls_for(0, 40));
  const auto first = core.dispatch(t0);
  BOOST_TEST(total_tasks(first) == 40u);  // no limit known yet
  std::vector<actors::attempt_result> answers;
  for (const auto& [w, b] : first.batches) {
    for (const auto& t : b.tasks) {
      auto r = outcome(t, providers::outcome_kind::retryable, std::chrono::milliseconds(1000));
      r.outcome.http_status = 429;
      answers.push_back(std::move(r));
    }
  }
  const auto effects = feed(core, std::move(answers));
  BOOST_TEST(effects.retries.size() == 40u);
  for (const auto& r : effects.retries) {
    BOOST_TEST(r.delay.count() >= 1000);  // Retry-After is each call's floor
    core.retry_due(r.key);
  }
  // After the 429s the endpoint no longer lets all 40 go at once.
  const auto again = core.dispatch(t0 + std::chrono::seconds(1));
  BOOST_TEST(total_tasks(again) < 40u);
  BOOST_TEST(again.wake_at.has_value());
}

BOOST_AUTO_TEST_CASE(a_limit_that_holds_calls_for_long_is_news_once_and_until_it_ends) {
  auto opts = small_options();
  opts.endpoints.push_back({2, 0, false});  // rpm 2: one call every 30 s
  dispatch_core core(opts);
  core.add_worker(8);
  core.add_calls(calls_for(0, 3));
  const auto first = core.dispatch(t0);
  BOOST_TEST(total_tasks(first) == 1u);
  BOOST_TEST(first.hold_changed);
  BOOST_REQUIRE(core.long_hold_now().has_value());
  BOOST_TEST(core.long_hold_now()->source == "limits.rpm");
  BOOST_TEST((core.long_hold_now()->until == *first.wake_at));
  BOOST_TEST(std::chrono::duration<double>(core.long_hold_now()->until - t0).count() == 30.0,
             boost::test_tools::tolerance(1e-6));
  // Asked again while the same hold stands: no news.
  BOOST_TEST(!core.dispatch(t0 + std::chrono::seconds(5)).hold_changed);
  // 25 s later the hold has 5 s left: too short to tell, so it is over for the user.
  const auto short_left = core.dispatch(t0 + std::chrono::seconds(25));
  BOOST_TEST(short_left.hold_changed);
  BOOST_TEST(!core.long_hold_now().has_value());
  // The next call goes and the next hold is 30 s again: news.
  const auto second = core.dispatch(*first.wake_at);
  BOOST_TEST(total_tasks(second) == 1u);
  BOOST_TEST(second.hold_changed);
  BOOST_TEST(core.long_hold_now().has_value());
}

BOOST_AUTO_TEST_CASE(a_short_hold_is_not_news_and_a_header_pause_is_named) {
  auto opts = small_options();
  opts.endpoints.push_back({60, 0, false});  // one a second: never a long hold
  dispatch_core core(opts);
  core.add_worker(8);
  core.add_calls(calls_for(0, 3));
  BOOST_TEST(!core.dispatch(t0).hold_changed);
  BOOST_TEST(!core.long_hold_now().has_value());

  auto adaptive = small_options();
  adaptive.endpoints.push_back({0, 0, true});
  dispatch_core paused(adaptive);
  const auto t = dispatch_one(paused, 4);
  paused.add_calls(calls_for(1, 2));
  actors::attempt_result r = outcome(t, providers::outcome_kind::ok);
  r.rate.remaining_requests = 0;
  r.rate.reset_requests = std::chrono::minutes(20);
  actors::result_batch batch;
  batch.results.push_back(std::move(r));
  dispatch_core::result_effects effects;
  paused.on_results(std::move(batch), t0, effects);
  const auto plan = paused.dispatch(t0);
  BOOST_TEST(total_tasks(plan) == 0u);
  BOOST_TEST(plan.hold_changed);
  BOOST_REQUIRE(paused.long_hold_now().has_value());
  BOOST_TEST(paused.long_hold_now()->source == "x-ratelimit-reset-requests");
  BOOST_TEST((paused.long_hold_now()->until == t0 + std::chrono::minutes(20)));
}

BOOST_AUTO_TEST_CASE(a_429_whose_retry_waits_long_is_news_naming_retry_after) {
  auto opts = small_options();
  opts.retry.max = std::chrono::minutes(5);
  dispatch_core core(opts);
  const auto t = dispatch_one(core, 4);
  auto r = outcome(t, providers::outcome_kind::retryable, std::chrono::seconds(60));
  r.outcome.http_status = 429;
  actors::result_batch batch;
  batch.results.push_back(std::move(r));
  dispatch_core::result_effects effects;
  core.on_results(std::move(batch), t0, effects);
  BOOST_REQUIRE(effects.retries.size() == 1u);
  BOOST_TEST(effects.retries[0].delay.count() == 60000);
  const auto held = core.dispatch(t0);
  BOOST_TEST(held.hold_changed);
  BOOST_REQUIRE(core.long_hold_now().has_value());
  BOOST_TEST(core.long_hold_now()->source == "Retry-After");
  BOOST_TEST((core.long_hold_now()->until == t0 + std::chrono::seconds(60)));
  // Once the retry is due, nothing holds calls back any more.
  core.retry_due(t.key);
  const auto due = core.dispatch(t0 + std::chrono::seconds(60));
  BOOST_TEST(total_tasks(due) == 1u);
  BOOST_TEST(due.hold_changed);
  BOOST_TEST(!core.long_hold_now().has_value());
}

BOOST_AUTO_TEST_CASE(a_5xx_retry_is_no_rate_limit_hold) {
  auto opts = small_options();
  opts.retry.initial = std::chrono::seconds(60);
  opts.retry.max = std::chrono::seconds(60);
  dispatch_core core(opts);
  const auto t = dispatch_one(core, 4);
  actors::result_batch batch;
  batch.results.push_back(outcome(t, providers::outcome_kind::retryable, std::chrono::seconds(60)));
  dispatch_core::result_effects effects;
  core.on_results(std::move(batch), t0, effects);
  BOOST_TEST(!core.dispatch(t0).hold_changed);
  BOOST_TEST(!core.long_hold_now().has_value());
}

BOOST_AUTO_TEST_CASE(a_stop_lets_the_tasks_at_workers_finish_and_drops_the_rest) {
  dispatch_core core(small_options());
  core.add_worker(2);
  core.add_calls(calls_for(0, 5));
  const auto sent = core.dispatch(t0).batches.front().second.tasks;
  BOOST_TEST_REQUIRE(sent.size() == 2u);
  // The first one fails retryably before the stop and waits for its retry.
  auto effects = feed(core, {outcome(sent[0], providers::outcome_kind::retryable)});
  BOOST_TEST_REQUIRE(effects.retries.size() == 1u);
  const auto third = core.dispatch(t0).batches.front().second.tasks.front();

  core.stop();
  BOOST_TEST(!core.admitting());
  BOOST_TEST(core.pending() == 0u);  // the two never sent are dropped
  BOOST_TEST(!core.drained());       // two are still at the worker
  core.retry_due(sent[0].key);       // the retry that was waiting is gone too
  core.add_calls(calls_for(10, 3));  // calls asked for after the stop are not taken
  BOOST_TEST(core.pending() == 0u);
  BOOST_TEST(core.dispatch(t0).batches.empty());

  effects = feed(core, {outcome(sent[1], providers::outcome_kind::ok)});
  BOOST_TEST(effects.finished.calls.size() == 1u);  // an answer at a worker still counts
  BOOST_TEST(!core.drained());
  effects = feed(core, {outcome(third, providers::outcome_kind::retryable)});
  BOOST_TEST(effects.retries.empty());         // not retried after a stop, and not finished either:
  BOOST_TEST(effects.finished.calls.empty());  // its item stays unfinished for --resume
  BOOST_TEST(core.drained());
}

BOOST_AUTO_TEST_CASE(a_stop_abandons_an_outstanding_read) {
  dispatch_core core(small_options());
  core.mark_requested(core.items_to_request());
  BOOST_TEST(core.request_outstanding());
  core.stop();
  BOOST_TEST(!core.request_outstanding());
  BOOST_TEST(core.items_to_request() == 0u);
  BOOST_TEST(core.drained());  // nothing was at a worker
}

BOOST_AUTO_TEST_SUITE(systematic_failure)

actors::attempt_result unauthorized(const actors::task& t) {
  auto r = outcome(t, providers::outcome_kind::final);
  r.outcome.http_status = 401;
  r.outcome.error = "HTTP 401: Incorrect API key provided";
  return r;
}

BOOST_AUTO_TEST_CASE(first_calls_all_failing_alike_stop_the_core) {
  auto opts = small_options();
  opts.abort_after_failures = 3;
  dispatch_core core(opts);
  core.add_worker(2);
  core.add_calls(calls_for(0, 6));
  auto plan = core.dispatch(t0);
  BOOST_TEST(total_tasks(plan) == 2u);
  std::vector<actors::attempt_result> first;
  for (const auto& t : plan.batches.front().second.tasks) first.push_back(unauthorized(t));
  BOOST_TEST(!feed(core, first).stopped);
  plan = core.dispatch(t0);
  std::vector<actors::attempt_result> second;
  for (const auto& t : plan.batches.front().second.tasks) second.push_back(unauthorized(t));
  const auto effects = feed(core, second);
  BOOST_TEST_REQUIRE(effects.stopped.has_value());
  BOOST_TEST(*effects.stopped ==
             "stopped after the first 3 calls all failed: HTTP 401 (Incorrect API key provided)");
  // The whole batch that tripped it is finished, so those items are written.
  BOOST_TEST(effects.finished.calls.size() == 2u);
  BOOST_TEST(core.stopped());
  BOOST_TEST(!core.admitting());
  BOOST_TEST(core.items_to_request() == 0u);
  BOOST_TEST(core.pending() == 0u);
  BOOST_TEST(core.dispatch(t0).batches.empty());
  core.add_calls(calls_for(10, 2));
  BOOST_TEST(core.pending() == 0u);
  BOOST_TEST(core.drained());
}

BOOST_AUTO_TEST_CASE(retryable_failures_count_once_retries_are_exhausted) {
  auto opts = small_options();
  opts.abort_after_failures = 1;
  dispatch_core core(opts);
  auto t = dispatch_one(core, 1);
  const auto refused = [](const actors::task& sent) {
    auto r = outcome(sent, providers::outcome_kind::retryable);
    r.outcome.error = "curl: Couldn't connect to server";
    return r;
  };
  auto effects = feed(core, {refused(t)});
  BOOST_TEST(!effects.stopped);
  BOOST_TEST(effects.retries.size() == 1u);
  core.retry_due(t.key);
  for (int attempt = 0; attempt < 2; ++attempt) {
    t = tasks_of(core.dispatch(t0)).front();
    effects = feed(core, {refused(t)});
    if (!effects.retries.empty()) core.retry_due(t.key);
  }
  BOOST_TEST_REQUIRE(effects.stopped.has_value());
  BOOST_TEST(*effects.stopped ==
             "stopped after the first call failed: curl: Couldn't connect to server");
}

BOOST_AUTO_TEST_CASE(by_default_the_core_never_halts) {
  dispatch_core core(small_options());
  core.add_worker(8);
  core.add_calls(calls_for(0, 8));
  const auto plan = core.dispatch(t0);
  std::vector<actors::attempt_result> all;
  for (const auto& t : plan.batches.front().second.tasks) all.push_back(unauthorized(t));
  BOOST_TEST(!feed(core, all).stopped);
  BOOST_TEST(!core.stopped());
}

BOOST_AUTO_TEST_SUITE_END()
