#define BOOST_TEST_MODULE coordinator_workers
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/coordinator.hpp"
#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "dispatch_core_fixture.hpp"

using namespace parallm;
using namespace parallm::actors;
using namespace parallm::actors::testing;

namespace {

constexpr auto patience = std::chrono::seconds(5);
// Long enough for a message the coordinator would send at once to arrive.
constexpr auto quiet = std::chrono::milliseconds(200);

// The test plays the reader (which never answers: no items are admitted), the reducer (whose
// calls it sends itself) and two workers, each its own mailbox and address.
struct coordinator_fixture {
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  caf::scoped_actor hub{system};
  caf::scoped_actor first{system};
  caf::scoped_actor second{system};
  coordinator_actor coordinator;

  coordinator_fixture() {
    coordinator = spawn_coordinator(system, small_options(), caf::actor_cast<reader_actor>(hub),
                                    caf::actor_cast<reducer_actor>(hub));
  }
  ~coordinator_fixture() { hub->send_exit(coordinator, caf::exit_reason::user_shutdown); }

  static worker_actor as_worker(caf::scoped_actor& worker) {
    return caf::actor_cast<worker_actor>(worker);
  }

  // The tasks the next batch to `worker` holds.
  static std::vector<task> next_tasks(caf::scoped_actor& worker) {
    std::vector<task> got;
    worker->receive([&](tasks_atom, task_batch& batch) { got = std::move(batch.tasks); },
                    caf::after(patience) >> [] { BOOST_FAIL("no tasks came"); });
    return got;
  }

  // True when `worker` got no tasks for a while.
  static bool idle(caf::scoped_actor& worker) {
    bool got = false;
    worker->receive([&](tasks_atom, task_batch&) { got = true; }, caf::after(quiet) >> [] {});
    return !got;
  }
};

std::vector<std::uint64_t> counters(const std::vector<task>& tasks) {
  std::vector<std::uint64_t> out;
  for (const auto& t : tasks) out.push_back(t.key.counter);
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_second_join_resizes_and_a_leave_requeues_at_the_front,
                        coordinator_fixture) {
  hub->send(coordinator, join_atom::value, as_worker(first), std::uint32_t{2});
  hub->send(coordinator, calls_atom::value, calls_for(0, 8));
  const auto held = next_tasks(first);
  BOOST_TEST(held.size() == 2u);

  // Joined again with 4: two more, not four (it is one worker, not a second one).
  hub->send(coordinator, join_atom::value, as_worker(first), std::uint32_t{4});
  const auto more = next_tasks(first);
  BOOST_TEST(more.size() == 2u);
  BOOST_TEST(idle(first));

  // Its share gone: the other worker takes what is left, as far as its capacity goes.
  hub->send(coordinator, resize_atom::value, as_worker(first), std::uint32_t{0});
  hub->send(coordinator, join_atom::value, as_worker(second), std::uint32_t{3});
  const auto others = next_tasks(second);
  BOOST_TEST(others.size() == 3u);

  // The first leaves: its four go back ahead of the one call still queued, and the second
  // gets the oldest of them once its answers free its slots.
  hub->send(coordinator, leave_atom::value, as_worker(first));
  std::vector<attempt_result> answers;
  for (const auto& t : others) answers.push_back(outcome(t, providers::outcome_kind::ok));
  hub->send(coordinator, results_atom::value, result_batch{std::move(answers)});
  const auto redone = next_tasks(second);
  auto lost = counters(held);
  for (auto c : counters(more)) lost.push_back(c);
  BOOST_TEST(counters(redone) == std::vector<std::uint64_t>(lost.begin(), lost.begin() + 3),
             boost::test_tools::per_element());
  for (const auto& t : redone) BOOST_TEST(t.generation == 1u);  // the first's answers are stale
  BOOST_TEST(idle(first));
}

BOOST_FIXTURE_TEST_CASE(resize_and_leave_of_a_worker_never_joined_change_nothing,
                        coordinator_fixture) {
  hub->send(coordinator, resize_atom::value, as_worker(first), std::uint32_t{4});
  hub->send(coordinator, leave_atom::value, as_worker(second));
  hub->send(coordinator, calls_atom::value, calls_for(0, 2));
  BOOST_TEST(idle(first));
  hub->send(coordinator, join_atom::value, as_worker(second), std::uint32_t{1});
  BOOST_TEST(next_tasks(second).size() == 1u);
  BOOST_TEST(idle(first));
}
