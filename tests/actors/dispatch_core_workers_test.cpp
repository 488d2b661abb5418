#define BOOST_TEST_MODULE dispatch_core_workers
#include <boost/test/unit_test.hpp>

#include "actors/dispatch_core.hpp"
#include "dispatch_core_fixture.hpp"

using namespace parallm;
using namespace parallm::actors::testing;
using actors::dispatch_core;

namespace {

// Counters of the tasks a plan hands to `worker`, in order.
std::vector<std::uint64_t> counters_for(const dispatch_core::dispatch_plan& plan,
                                        dispatch_core::worker_id worker) {
  std::vector<std::uint64_t> out;
  for (const auto& [w, b] : plan.batches) {
    if (w != worker) continue;
    for (const auto& t : b.tasks) out.push_back(t.key.counter);
  }
  return out;
}

actors::task numbered(const dispatch_core::dispatch_plan& plan, std::uint64_t counter) {
  for (const auto& t : tasks_of(plan)) {
    if (t.key.counter == counter) return t;
  }
  BOOST_FAIL("no task numbered " << counter);
  return {};
}

// Every slot is free or holds exactly one task at that worker: no credit lost, none extra.
void check_credit(const dispatch_core& core,
                  const std::vector<std::pair<dispatch_core::worker_id, std::uint32_t>>& workers) {
  std::size_t busy = 0;
  for (const auto& [id, capacity] : workers) {
    const auto credit = core.credit(id);
    if (!credit) continue;  // removed
    BOOST_TEST(*credit <= capacity);
    busy += capacity - *credit;
  }
  BOOST_TEST(busy == core.at_workers());
}

}  // namespace

BOOST_AUTO_TEST_CASE(removing_a_worker_requeues_its_tasks_at_the_front_uncharged) {
  dispatch_core core(small_options());
  const auto a = core.add_worker(2);
  const auto b = core.add_worker(1);
  core.add_calls(calls_for(0, 5));
  const auto first = core.dispatch(t0);
  const auto lost = counters_for(first, a);
  BOOST_TEST(lost == (std::vector<std::uint64_t>{1, 3}), boost::test_tools::per_element());
  BOOST_TEST(counters_for(first, b) == (std::vector<std::uint64_t>{2}),
             boost::test_tools::per_element());

  BOOST_TEST(core.remove_worker(a) == 2u);
  BOOST_TEST(core.remove_worker(a) == 0u);  // gone already
  BOOST_TEST(!core.credit(a).has_value());
  BOOST_TEST(core.pending() == 4u);
  BOOST_TEST(core.at_workers() == 1u);
  BOOST_TEST(core.dispatch(t0).batches.empty());  // b is busy and a gets nothing more

  // b's slot comes free: the lost tasks go first, oldest first, as the same attempt.
  feed(core, {outcome(numbered(first, 2), providers::outcome_kind::ok)});
  const auto redo = core.dispatch(t0);
  BOOST_TEST_REQUIRE(redo.batches.size() == 1u);
  BOOST_TEST(redo.batches[0].first == b);
  const auto again = tasks_of(redo);
  BOOST_TEST_REQUIRE(again.size() == 1u);
  BOOST_TEST(again[0].key.counter == 1u);
  BOOST_TEST(again[0].attempt == 1u);
  BOOST_TEST(again[0].generation == 1u);

  // a's answer to it, sent before a was given up, is stale; b's counts, as attempt 1.
  const auto from_a = numbered(first, 1);
  BOOST_TEST(feed(core, {outcome(from_a, providers::outcome_kind::ok)}).finished.calls.empty());
  BOOST_TEST(core.stale_results() == 1u);
  const auto done = feed(core, {outcome(again[0], providers::outcome_kind::ok)});
  BOOST_TEST_REQUIRE(done.finished.calls.size() == 1u);
  BOOST_TEST(done.finished.calls[0].seq == 0u);
  BOOST_TEST(done.finished.calls[0].result.attempts == 1);
  BOOST_TEST(counters_for(core.dispatch(t0), b) == (std::vector<std::uint64_t>{3}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_task_lost_more_often_than_max_retries_still_has_its_retries) {
  dispatch_core core(small_options());  // max_retries 2
  core.add_calls(calls_for(0, 1));
  actors::task t;
  for (int lost = 0; lost < 4; ++lost) {
    const auto w = core.add_worker(1);
    t = tasks_of(core.dispatch(t0)).front();
    BOOST_TEST(t.attempt == 1u);
    BOOST_TEST(core.remove_worker(w) == 1u);
  }
  core.add_worker(1);
  t = tasks_of(core.dispatch(t0)).front();
  BOOST_TEST(t.generation == 4u);
  const auto effects = feed(core, {outcome(t, providers::outcome_kind::retryable)});
  BOOST_TEST(effects.retries.size() == 1u);  // the first failure it had: retried
  BOOST_TEST(effects.finished.calls.empty());
}

BOOST_AUTO_TEST_CASE(an_overdue_task_is_reclaimed_and_its_late_answer_ignored) {
  auto opts = small_options();
  opts.task_deadline = std::chrono::seconds(10);
  dispatch_core core(opts);
  const auto w = core.add_worker(1);
  core.add_calls(calls_for(0, 2));
  const auto sent = tasks_of(core.dispatch(t0));
  BOOST_TEST_REQUIRE(sent.size() == 1u);
  BOOST_TEST(core.reclaim_overdue(t0 + std::chrono::seconds(10)) == 0u);  // due, not past
  BOOST_TEST(core.reclaim_overdue(t0 + std::chrono::milliseconds(10001)) == 1u);
  BOOST_TEST(*core.credit(w) == 1u);
  BOOST_TEST(core.at_workers() == 0u);
  BOOST_TEST(core.pending() == 2u);

  // Redone first, by the same worker: only the generation tells the two answers apart.
  const auto later = t0 + std::chrono::seconds(11);
  const auto redo = tasks_of(core.dispatch(later));
  BOOST_TEST_REQUIRE(redo.size() == 1u);
  BOOST_TEST((redo[0].key == sent[0].key));
  BOOST_TEST(redo[0].attempt == 1u);
  BOOST_TEST(redo[0].generation == 1u);
  // Its deadline starts again from the redo.
  BOOST_TEST(core.reclaim_overdue(later + std::chrono::seconds(5)) == 0u);

  const auto late = feed(core, {outcome(sent[0], providers::outcome_kind::ok)}, later);
  BOOST_TEST(late.finished.calls.empty());
  BOOST_TEST(core.stale_results() == 1u);
  BOOST_TEST(*core.credit(w) == 0u);  // the late answer gives back no slot
  const auto done = feed(core, {outcome(redo[0], providers::outcome_kind::ok)}, later);
  BOOST_TEST_REQUIRE(done.finished.calls.size() == 1u);
  BOOST_TEST(done.finished.calls[0].result.attempts == 1);
  BOOST_TEST(*core.credit(w) == 1u);
  BOOST_TEST(tasks_of(core.dispatch(later)).front().key.counter == 2u);
}

BOOST_AUTO_TEST_CASE(without_a_deadline_nothing_is_ever_overdue) {
  dispatch_core core(small_options());
  dispatch_one(core, 1);
  BOOST_TEST(core.reclaim_overdue(t0 + std::chrono::hours(1000)) == 0u);
  BOOST_TEST(core.at_workers() == 1u);
}

BOOST_AUTO_TEST_CASE(credit_stays_exact_across_removals_reclaims_and_late_answers) {
  auto opts = small_options();
  opts.task_deadline = std::chrono::seconds(10);
  dispatch_core core(opts);
  std::vector<std::pair<dispatch_core::worker_id, std::uint32_t>> workers;
  for (std::uint32_t capacity : {3u, 2u, 4u}) {
    workers.emplace_back(core.add_worker(capacity), capacity);
  }
  core.add_calls(calls_for(0, 20));
  const auto first = tasks_of(core.dispatch(t0));
  BOOST_TEST(first.size() == 9u);
  check_credit(core, workers);

  // Two answers come back and their slots go out again; the second worker leaves.
  feed(core, {outcome(first[0], providers::outcome_kind::ok),
              outcome(first[1], providers::outcome_kind::ok)});
  check_credit(core, workers);
  const auto second = tasks_of(core.dispatch(t0 + std::chrono::seconds(1)));
  BOOST_TEST(second.size() == 2u);
  check_credit(core, workers);
  BOOST_TEST(core.remove_worker(workers[1].first) == 2u);
  check_credit(core, workers);
  // Everything still out is overdue 12 s on: 7 tasks, and both workers left are idle.
  BOOST_TEST(core.reclaim_overdue(t0 + std::chrono::seconds(12)) == 7u);
  BOOST_TEST(core.at_workers() == 0u);
  check_credit(core, workers);
  BOOST_TEST(*core.credit(workers[0].first) == 3u);
  BOOST_TEST(*core.credit(workers[2].first) == 4u);

  // Every earlier answer is now stale (finished, taken back, or from the worker that left)
  // and gives back no slot.
  std::vector<actors::attempt_result> late;
  for (const auto& t : first) late.push_back(outcome(t, providers::outcome_kind::ok));
  for (const auto& t : second) late.push_back(outcome(t, providers::outcome_kind::ok));
  const auto effects = feed(core, late, t0 + std::chrono::seconds(12));
  BOOST_TEST(effects.finished.calls.empty());
  BOOST_TEST(core.stale_results() == 11u);
  BOOST_TEST(core.unknown_results() == 0u);
  check_credit(core, workers);
  BOOST_TEST(*core.credit(workers[0].first) == 3u);

  // The redo fills the two workers left, exactly, and never the one that left.
  const auto redo = core.dispatch(t0 + std::chrono::seconds(12));
  BOOST_TEST(total_tasks(redo) == 7u);
  for (const auto& [w, b] : redo.batches) BOOST_TEST(w != workers[1].first);
  check_credit(core, workers);
  BOOST_TEST(*core.credit(workers[0].first) == 0u);
  BOOST_TEST(*core.credit(workers[2].first) == 0u);
  BOOST_TEST(core.pending() == 20u - 2u - 7u);
}

BOOST_AUTO_TEST_CASE(a_worker_added_later_gets_work_at_once_under_a_new_id) {
  dispatch_core core(small_options());
  core.add_calls(calls_for(0, 3));
  BOOST_TEST(core.dispatch(t0).batches.empty());  // nobody to run them yet
  const auto a = core.add_worker(1);
  BOOST_TEST(counters_for(core.dispatch(t0), a) == (std::vector<std::uint64_t>{1}),
             boost::test_tools::per_element());
  const auto b = core.add_worker(2);
  BOOST_TEST(b != a);
  BOOST_TEST(counters_for(core.dispatch(t0), b) == (std::vector<std::uint64_t>{2, 3}),
             boost::test_tools::per_element());
  core.remove_worker(a);
  const auto c = core.add_worker(1);
  BOOST_TEST(c != a);  // ids are never reused
  BOOST_TEST(c != b);
  BOOST_TEST(core.workers() == 2u);
  BOOST_TEST(counters_for(core.dispatch(t0), c) == (std::vector<std::uint64_t>{1}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(after_a_stop_a_removed_workers_tasks_are_dropped) {
  dispatch_core core(small_options());
  const auto w = core.add_worker(2);
  core.add_calls(calls_for(0, 2));
  BOOST_TEST(total_tasks(core.dispatch(t0)) == 2u);
  core.stop();
  BOOST_TEST(!core.drained());
  BOOST_TEST(core.remove_worker(w) == 2u);
  BOOST_TEST(core.pending() == 0u);  // left for --resume, not queued
  BOOST_TEST(core.drained());
}

BOOST_AUTO_TEST_CASE(a_shrunk_capacity_lets_held_tasks_finish_and_sends_none_until_below_it) {
  dispatch_core core(small_options());
  const auto w = core.add_worker(3);
  core.add_calls(calls_for(0, 6));
  const auto held = tasks_of(core.dispatch(t0));
  BOOST_TEST(held.size() == 3u);

  BOOST_TEST(core.set_capacity(w, 1));
  BOOST_TEST(*core.credit(w) == 0u);
  BOOST_TEST(total_tasks(core.dispatch(t0)) == 0u);
  BOOST_TEST(core.at_workers() == 3u);  // nothing taken back: the held tasks finish

  feed(core, {outcome(held[0], providers::outcome_kind::ok)});
  BOOST_TEST(*core.credit(w) == 0u);  // holds 2, may hold 1
  BOOST_TEST(total_tasks(core.dispatch(t0)) == 0u);
  feed(core, {outcome(held[1], providers::outcome_kind::ok)});
  BOOST_TEST(*core.credit(w) == 0u);  // holds 1, may hold 1
  BOOST_TEST(total_tasks(core.dispatch(t0)) == 0u);
  feed(core, {outcome(held[2], providers::outcome_kind::ok)});
  BOOST_TEST(*core.credit(w) == 1u);
  BOOST_TEST(total_tasks(core.dispatch(t0)) == 1u);
  BOOST_TEST(*core.credit(w) == 0u);
  BOOST_TEST(core.at_workers() == 1u);
}

BOOST_AUTO_TEST_CASE(a_grown_capacity_gets_more_tasks_at_the_next_dispatch) {
  dispatch_core core(small_options());
  const auto w = core.add_worker(1);
  core.add_calls(calls_for(0, 5));
  BOOST_TEST(total_tasks(core.dispatch(t0)) == 1u);
  BOOST_TEST(core.set_capacity(w, 4));
  BOOST_TEST(*core.credit(w) == 3u);
  BOOST_TEST(total_tasks(core.dispatch(t0)) == 3u);
  BOOST_TEST(*core.credit(w) == 0u);
  BOOST_TEST(core.at_workers() == 4u);
}

BOOST_AUTO_TEST_CASE(a_worker_of_capacity_zero_gets_nothing_until_it_has_a_share) {
  dispatch_core core(small_options());
  const auto idle = core.add_worker(0);
  const auto busy = core.add_worker(2);
  core.add_calls(calls_for(0, 4));
  const auto first = core.dispatch(t0);
  BOOST_TEST(counters_for(first, idle).empty());
  BOOST_TEST(counters_for(first, busy).size() == 2u);
  BOOST_TEST(*core.credit(idle) == 0u);

  BOOST_TEST(core.set_capacity(idle, 2));
  const auto second = core.dispatch(t0);
  BOOST_TEST(counters_for(second, idle) == (std::vector<std::uint64_t>{3, 4}),
             boost::test_tools::per_element());

  // Back to zero while holding two: both still finish, and free no slot for this batch.
  BOOST_TEST(core.set_capacity(idle, 0));
  feed(core, {outcome(numbered(second, 3), providers::outcome_kind::ok),
              outcome(numbered(second, 4), providers::outcome_kind::ok)});
  BOOST_TEST(*core.credit(idle) == 0u);
  check_credit(core, {{busy, 2}});
  BOOST_TEST(core.at_workers() == 2u);
}

BOOST_AUTO_TEST_CASE(resizing_a_worker_not_here_changes_nothing) {
  dispatch_core core(small_options());
  const auto w = core.add_worker(2);
  BOOST_TEST(!core.set_capacity(w + 1, 5));
  BOOST_TEST(core.remove_worker(w) == 0u);
  BOOST_TEST(!core.set_capacity(w, 5));
  BOOST_TEST(core.workers() == 0u);
}

BOOST_AUTO_TEST_CASE(removing_a_worker_held_over_its_capacity_requeues_all_it_held) {
  dispatch_core core(small_options());
  const auto w = core.add_worker(3);
  core.add_calls(calls_for(0, 3));
  BOOST_TEST(total_tasks(core.dispatch(t0)) == 3u);
  core.set_capacity(w, 1);
  BOOST_TEST(core.remove_worker(w) == 3u);
  BOOST_TEST(core.at_workers() == 0u);
  BOOST_TEST(core.pending() == 3u);
  const auto other = core.add_worker(3);
  BOOST_TEST(total_tasks(core.dispatch(t0)) == 3u);
  BOOST_TEST(*core.credit(other) == 0u);
}
