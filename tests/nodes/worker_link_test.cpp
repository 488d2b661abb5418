#define BOOST_TEST_MODULE worker_link
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "link_fakes.hpp"
#include "nodes/wire_codec.hpp"
#include "nodes/worker_link.hpp"

using namespace parallm;
using namespace parallm::nodes;
using namespace std::chrono_literals;
using clock_type = worker_link::clock;

namespace {

const clock_type::time_point t0 = clock_type::time_point{} + 1h;

struct fake_io final : gateway_io {
  std::vector<message> sent;
  bool send(std::size_t socket, const std::string&, std::string frame) override {
    BOOST_TEST(socket == 0u);
    auto m = decode(frame);
    BOOST_REQUIRE_MESSAGE(m.has_value(), "the link sent a frame that does not decode");
    sent.push_back(std::move(m.value()));
    return true;
  }
  std::size_t count(command c) const {
    std::size_t n = 0;
    for (const auto& m : sent) n += command_of(m) == c ? 1 : 0;
    return n;
  }
};

struct fake_node final : worker_link_listener {
  std::vector<actors::batch_profiles> profiles;
  std::vector<actors::task_batch> tasks;
  int restarts = 0;
  int joined = 0;
  int rejoined = 0;
  int lost = 0;
  void on_profiles(actors::batch_profiles p) override { profiles.push_back(std::move(p)); }
  void on_tasks(actors::task_batch t) override { tasks.push_back(std::move(t)); }
  void on_coordinator_restarted() override { ++restarts; }
  void on_joined(const welcome&, bool again) override { ++(again ? rejoined : joined); }
  void on_lost() override { ++lost; }
};

worker_link_options options() {
  worker_link_options o;
  o.name = "w1";
  o.host = "gpu-3";
  o.capacity = 8;
  o.hello_interval = 1000ms;
  return o;
}

call_profile sim_profile() {
  call_profile p;
  p.endpoint.kind = config::provider_kind::sim;
  p.endpoint.sim.choices = {"yes"};
  return p;
}

wire_task task(std::uint64_t batch, std::uint64_t counter, std::uint32_t profile = 0) {
  wire_task t;
  t.key = {7, batch, counter};
  t.attempt = 1;
  t.profile = profile;
  t.prompt = "p" + std::to_string(counter);
  return t;
}

// A link and its fakes.
struct fixture : parallm::test::drives_a_dealer<fixture> {
  fake_io io;
  fake_node node;
  worker_link link{options(), node};
};

}  // namespace

// The session rules themselves (hello's wait, heartbeats, liveness, refusals, what is dropped
// and why) are dealer_link's, tested in dealer_link_test; these are what the worker adds.

BOOST_AUTO_TEST_SUITE(session)

BOOST_FIXTURE_TEST_CASE(the_hello_names_the_worker_and_keeps_to_its_interval, fixture) {
  tick();
  BOOST_TEST_REQUIRE(io.sent.size() == 1u);
  const auto* hello = std::get_if<worker_hello>(&io.sent[0]);
  BOOST_TEST_REQUIRE(hello != nullptr);
  BOOST_TEST(hello->name == "w1");
  BOOST_TEST(hello->host == "gpu-3");
  BOOST_TEST(hello->capacity == 8u);
  tick(999ms);
  BOOST_TEST(io.sent.size() == 1u);
  tick(1ms);
  BOOST_TEST(io.count(command::worker_hello) == 2u);
  BOOST_TEST(link.counters().hellos == 2u);
}

BOOST_FIXTURE_TEST_CASE(joins_and_losses_are_reported_and_the_same_epoch_keeps_the_profiles,
                        fixture) {
  join();
  BOOST_TEST(link.welcomed());
  BOOST_TEST(link.epoch() == 7u);
  BOOST_TEST(node.joined == 1);
  receive(welcome{7, 500, 1500, {}});  // a repeat: the same session
  BOOST_TEST(node.joined == 1);
  BOOST_TEST(node.rejoined == 0);
  receive(batch_profiles{3, {sim_profile()}});
  tick(1500ms);  // silent for the welcome's liveness
  BOOST_TEST(!link.welcomed());
  BOOST_TEST(node.lost == 1);
  receive(welcome{7, 500, 1500, {}});
  BOOST_TEST(node.rejoined == 1);
  BOOST_TEST(node.restarts == 0);  // same epoch: the profiles held are still good
  receive(task_frame{{task(3, 1)}});
  BOOST_TEST(node.tasks.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_new_epoch_in_a_welcome_forgets_the_profiles, fixture) {
  join(7);
  receive(batch_profiles{3, {sim_profile()}});
  BOOST_TEST(node.profiles.size() == 1u);
  tick(2000ms);  // lost
  receive(welcome{9, 500, 1500, {}});
  BOOST_TEST(node.restarts == 1);
  BOOST_TEST(node.rejoined == 1);
  BOOST_TEST(link.epoch() == 9u);
  BOOST_TEST(link.counters().restarts == 1u);
  // The old batch's profiles are gone here too: its tasks are refused, not run.
  receive(task_frame{{task(3, 1)}});
  BOOST_TEST(node.tasks.empty());
  BOOST_TEST(link.counters().refused_for(convert_error::unknown_batch) == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_heartbeat_with_a_new_epoch_means_a_restart_once_welcomed, fixture) {
  join(7);
  receive(batch_profiles{3, {sim_profile()}});
  tick(1000ms);
  receive(heartbeat{11});
  BOOST_TEST(!link.welcomed());
  BOOST_TEST(node.lost == 1);
  // Until the new coordinator welcomes the worker nothing of a session is taken, so the
  // profiles are dropped when its welcome names the new epoch.
  BOOST_TEST(node.restarts == 0);
  receive(welcome{11, 500, 1500, {}});
  BOOST_TEST(node.restarts == 1);
  BOOST_TEST(link.welcomed());
  receive(task_frame{{task(3, 1)}});
  BOOST_TEST(node.tasks.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(frames_in)

BOOST_FIXTURE_TEST_CASE(profiles_and_tasks_are_converted_and_passed_on, fixture) {
  join();
  receive(batch_profiles{3, {sim_profile(), sim_profile()}});
  BOOST_TEST_REQUIRE(node.profiles.size() == 1u);
  BOOST_TEST(node.profiles[0].batch == 3u);
  BOOST_TEST(node.profiles[0].profiles->size() == 2u);
  receive(task_frame{{task(3, 1), task(3, 2, 1)}});
  BOOST_TEST_REQUIRE(node.tasks.size() == 1u);
  BOOST_TEST_REQUIRE(node.tasks[0].tasks.size() == 2u);
  BOOST_TEST(node.tasks[0].tasks[1].key.counter == 2u);
  BOOST_TEST(node.tasks[0].tasks[1].profile == 1u);
  BOOST_TEST(node.tasks[0].tasks[1].prompt == "p2");
  BOOST_TEST(link.counters().tasks == 2u);
  BOOST_TEST(link.counters().profiles == 1u);
  BOOST_TEST(link.counters().dropped_total() == 0u);
  BOOST_TEST(link.counters().frames_in == 3u);
}

BOOST_FIXTURE_TEST_CASE(a_refused_task_frame_is_answered_with_final_failures, fixture) {
  join();
  receive(batch_profiles{3, {sim_profile()}});
  auto bad = task(3, 2, 5);  // no profile 5
  bad.attempt = 2;
  bad.generation = 1;
  const auto frames_out = link.counters().frames_out;
  receive(task_frame{{task(3, 1), bad, task(3, 3)}});
  BOOST_TEST(node.tasks.empty());
  BOOST_TEST(link.counters().refused_for(convert_error::profile_out_of_range) == 1u);
  BOOST_TEST(link.counters().refused_tasks == 3u);
  BOOST_TEST_REQUIRE(io.count(command::results) == 1u);
  BOOST_TEST(link.counters().frames_out == frames_out + 1);
  const auto& results = std::get<result_frame>(io.sent.back()).results;
  BOOST_TEST_REQUIRE(results.size() == 3u);
  for (const auto& r : results) {
    BOOST_TEST((r.outcome.kind == providers::outcome_kind::final));
  }
  BOOST_TEST(results[1].key.counter == 2u);
  BOOST_TEST(results[1].attempt == 2u);
  BOOST_TEST(results[1].generation == 1u);
  BOOST_TEST(results[1].outcome.error == "task refused by the worker: profile_out_of_range");
  BOOST_TEST(results[0].outcome.error ==
             "task refused by the worker: task 1 of its frame had profile_out_of_range");
  // The answers were a sign of activity: no heartbeat is due for heartbeat_ms after them.
  tick(499ms);
  BOOST_TEST(io.count(command::heartbeat) == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_worker_takes_only_what_a_coordinator_sends_a_worker, fixture) {
  tick();
  // Profiles and tasks belong to a session: before a welcome there is none.
  receive(batch_profiles{3, {sim_profile()}});
  receive(task_frame{{task(3, 1)}});
  BOOST_TEST(node.profiles.empty());
  BOOST_TEST(node.tasks.empty());
  BOOST_TEST(link.counters().dropped_for(drop_reason::not_hello) == 2u);
  join();
  receive(worker_hello{"x", "y", 1});
  receive(item_frame{});
  receive(submit{});
  receive(result_frame{});
  receive(credit{0, 5});
  receive(line_frame{});
  receive(batch_done{});
  BOOST_TEST(link.counters().dropped_for(drop_reason::wrong_side) == 7u);
  // Refusals but not_hello are counted only.
  receive(refusal{command::results, 0, "wrong_side"});
  BOOST_TEST(link.counters().refusals_in == 1u);
  BOOST_TEST(link.welcomed());
  BOOST_TEST(node.lost == 0);
}

BOOST_AUTO_TEST_CASE(the_limits_are_the_workers) {
  fake_io io;
  fake_node node;
  auto o = options();
  o.limits.max_frame_bytes = 256;
  worker_link link(o, node);
  link.on_tick(io, t0);
  link.on_frame(io, 0, {}, encode(welcome{7, 500, 1500, {}}), 1);
  link.on_frame(io, 0, {}, encode(batch_profiles{3, {sim_profile()}}), 1);
  auto big = task(3, 1);
  big.prompt.assign(300, 'x');
  link.on_frame(io, 0, {}, encode(task_frame{{big}}), 1);
  BOOST_TEST(link.counters().dropped_for(drop_reason::too_large) == 1u);
  BOOST_TEST(node.tasks.empty());
  link.on_frame(io, 0, {}, encode(task_frame{{task(3, 1)}}), 1);
  BOOST_TEST(node.tasks.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
