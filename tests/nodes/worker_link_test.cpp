#define BOOST_TEST_MODULE worker_link
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "actors/messages.hpp"
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

// A link and its fakes, with the time the test moves on.
struct fixture {
  fake_io io;
  fake_node node;
  worker_link link{options(), node};
  clock_type::time_point now = t0;

  void tick(clock_type::duration later = 0ms) {
    now += later;
    link.on_tick(io, now);
  }
  void receive(const message& m) { receive_bytes(encode(m)); }
  void receive_bytes(const std::string& bytes, std::size_t parts = 1) {
    link.on_frame(io, 0, {}, bytes, parts);
    // The gateway ticks after every batch of frames.
    link.on_tick(io, now);
  }
  void join(std::uint64_t epoch = 7) {
    tick();
    receive(welcome{epoch, 500, 1500});
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(hello_and_welcome)

BOOST_FIXTURE_TEST_CASE(hello_goes_out_on_the_first_tick_and_again_less_and_less_often, fixture) {
  tick();
  BOOST_TEST_REQUIRE(io.sent.size() == 1u);
  const auto* hello = std::get_if<worker_hello>(&io.sent[0]);
  BOOST_TEST_REQUIRE(hello != nullptr);
  BOOST_TEST(hello->name == "w1");
  BOOST_TEST(hello->host == "gpu-3");
  BOOST_TEST(hello->capacity == 8u);
  tick(400ms);
  tick(400ms);
  BOOST_TEST(io.sent.size() == 1u);  // the interval has not passed
  tick(200ms);
  BOOST_TEST(io.count(command::worker_hello) == 2u);
  // Then 2 s, 4 s, 8 s, 16 s, and every 30 s: hellos at 0, 1, 3, 7, 15, 31, 61 and 91 s.
  std::vector<int> at;
  for (int s = 2; s <= 100; ++s) {
    const auto before = io.sent.size();
    tick(1000ms);
    if (io.sent.size() > before) at.push_back(s);
  }
  BOOST_TEST(at == (std::vector<int>{3, 7, 15, 31, 61, 91}), boost::test_tools::per_element());
  BOOST_TEST(!link.welcomed());
  BOOST_TEST(io.count(command::heartbeat) == 0u);  // nothing to keep alive yet
}

BOOST_FIXTURE_TEST_CASE(a_welcome_stops_the_hellos_and_is_reported_once, fixture) {
  join();
  BOOST_TEST(link.welcomed());
  BOOST_TEST(link.epoch() == 7u);
  BOOST_TEST(node.joined == 1);
  // A second welcome answers a second hello; the session is the same.
  receive(welcome{7, 500, 1500});
  BOOST_TEST(node.joined == 1);
  BOOST_TEST(node.rejoined == 0);
  for (int i = 0; i < 10; ++i) tick(400ms), receive(heartbeat{7});
  BOOST_TEST(io.count(command::worker_hello) == 1u);
  BOOST_TEST(node.restarts == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(liveness)

BOOST_FIXTURE_TEST_CASE(heartbeats_go_out_when_nothing_else_did_for_heartbeat_ms, fixture) {
  join();
  const auto before = io.sent.size();
  tick(300ms);
  receive(heartbeat{7});
  BOOST_TEST(io.sent.size() == before);
  tick(200ms);  // 500 ms since the hello
  BOOST_TEST(io.count(command::heartbeat) == 1u);
  const auto* beat = std::get_if<heartbeat>(&io.sent.back());
  BOOST_TEST_REQUIRE(beat != nullptr);
  BOOST_TEST(beat->epoch == 7u);
  tick(100ms);
  receive(heartbeat{7});
  BOOST_TEST(io.count(command::heartbeat) == 1u);
  // Results posted by the node count as sent: no heartbeat while they flow.
  for (int i = 0; i < 6; ++i) {
    tick(250ms);
    link.note_sent(now);
    receive(heartbeat{7});
  }
  BOOST_TEST(io.count(command::heartbeat) == 1u);
  tick(500ms);
  BOOST_TEST(io.count(command::heartbeat) == 2u);
  BOOST_TEST(link.counters().heartbeats_out == 2u);
}

BOOST_FIXTURE_TEST_CASE(a_silent_coordinator_is_lost_and_hello_is_said_until_it_answers, fixture) {
  join();
  tick(1000ms);
  BOOST_TEST(link.welcomed());
  BOOST_TEST(node.lost == 0);
  tick(500ms);  // 1500 ms of silence: the welcome's liveness
  BOOST_TEST(!link.welcomed());
  BOOST_TEST(node.lost == 1);
  BOOST_TEST(link.counters().losses == 1u);
  BOOST_TEST(io.count(command::worker_hello) == 2u);
  BOOST_TEST(std::holds_alternative<worker_hello>(io.sent.back()));
  tick(1000ms);
  BOOST_TEST(io.count(command::worker_hello) == 3u);
  tick(1000ms);  // the next one waits twice as long
  BOOST_TEST(io.count(command::worker_hello) == 3u);
  tick(1000ms);
  BOOST_TEST(io.count(command::worker_hello) == 4u);
  BOOST_TEST(node.lost == 1);
  // Tasks of the dropped session are not taken while the coordinator has not welcomed us.
  receive(task_frame{{task(3, 1)}});
  BOOST_TEST(node.tasks.empty());
  BOOST_TEST(link.counters().dropped_for(drop_reason::not_hello) == 1u);
  receive(welcome{7, 500, 1500});
  BOOST_TEST(link.welcomed());
  BOOST_TEST(node.rejoined == 1);
  BOOST_TEST(node.restarts == 0);  // same epoch: the profiles held are still good
}

BOOST_FIXTURE_TEST_CASE(a_new_epoch_in_a_welcome_forgets_the_profiles, fixture) {
  join(7);
  receive(batch_profiles{3, {sim_profile()}});
  BOOST_TEST(node.profiles.size() == 1u);
  tick(2000ms);  // lost
  receive(welcome{9, 500, 1500});
  BOOST_TEST(node.restarts == 1);
  BOOST_TEST(link.epoch() == 9u);
  // The old batch's profiles are gone here too: its tasks are refused, not run.
  receive(task_frame{{task(3, 1)}});
  BOOST_TEST(node.tasks.empty());
  BOOST_TEST(link.counters().refused_for(convert_error::unknown_batch) == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_heartbeat_with_a_new_epoch_means_a_restart_and_a_new_hello, fixture) {
  join(7);
  tick(1000ms);  // the hello is an interval old, so a new one may go at once
  receive(heartbeat{11});
  BOOST_TEST(node.restarts == 1);
  BOOST_TEST(!link.welcomed());
  BOOST_TEST(io.count(command::worker_hello) == 2u);
  receive(welcome{11, 500, 1500});
  BOOST_TEST(node.restarts == 1);  // the welcome confirms the epoch already seen
  BOOST_TEST(link.welcomed());
}

BOOST_FIXTURE_TEST_CASE(refusals_for_not_hello_bring_one_hello_per_interval, fixture) {
  join();
  tick(1000ms);
  receive(heartbeat{7});
  const refusal not_hello{command::results, 0, "not_hello"};
  receive(not_hello);
  BOOST_TEST(!link.welcomed());
  BOOST_TEST(node.lost == 1);
  BOOST_TEST(io.count(command::worker_hello) == 2u);
  // A burst of refusals (one per results frame in flight) brings no burst of hellos.
  for (int i = 0; i < 20; ++i) receive(not_hello);
  tick(300ms);
  receive(not_hello);
  BOOST_TEST(io.count(command::worker_hello) == 2u);
  tick(700ms);
  BOOST_TEST(io.count(command::worker_hello) == 3u);
  BOOST_TEST(link.counters().refusals_in == 22u);
  // A refused hello, or another reason, is not a call for a new hello.
  receive(welcome{7, 500, 1500});
  tick(1000ms);
  receive(refusal{command::worker_hello, 0, "not_hello"});
  receive(refusal{command::results, 0, "wrong_side"});
  BOOST_TEST(link.welcomed());
  BOOST_TEST(io.count(command::worker_hello) == 3u);
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
}

BOOST_FIXTURE_TEST_CASE(a_refused_task_frame_is_answered_with_final_failures, fixture) {
  join();
  receive(batch_profiles{3, {sim_profile()}});
  auto bad = task(3, 2, 5);  // no profile 5
  bad.attempt = 2;
  bad.generation = 1;
  receive(task_frame{{task(3, 1), bad, task(3, 3)}});
  BOOST_TEST(node.tasks.empty());
  BOOST_TEST(link.counters().refused_for(convert_error::profile_out_of_range) == 1u);
  BOOST_TEST(link.counters().refused_tasks == 3u);
  BOOST_TEST_REQUIRE(io.count(command::results) == 1u);
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
}

BOOST_FIXTURE_TEST_CASE(bad_frames_are_counted_and_ignored, fixture) {
  join();
  receive(batch_profiles{3, {sim_profile()}});
  const auto good = encode(heartbeat{7});
  auto wrong_version = good;
  wrong_version[1] = '\x02';  // [2, 3, [7]]
  receive_bytes("\xc1");
  receive_bytes(good.substr(0, good.size() - 1));
  receive_bytes(good + good);
  receive_bytes(wrong_version);
  receive_bytes(good, 2);
  receive_bytes({});
  BOOST_TEST(link.counters().dropped_for(drop_reason::malformed) == 5u);
  BOOST_TEST(link.counters().dropped_for(drop_reason::unknown_version) == 1u);
  // Commands a coordinator never sends to a worker.
  receive(worker_hello{"x", "y", 1});
  receive(item_frame{});
  receive(submit{});
  receive(result_frame{});
  receive(credit{0, 5});
  BOOST_TEST(link.counters().dropped_for(drop_reason::wrong_side) == 5u);
  BOOST_TEST(link.counters().frames_in == 13u);  // with the welcome and the profiles
  // The link still works.
  receive(task_frame{{task(3, 1)}});
  BOOST_TEST(node.tasks.size() == 1u);
  BOOST_TEST(link.welcomed());
}

BOOST_AUTO_TEST_CASE(frames_over_the_limits_are_dropped_as_too_large) {
  fake_io io;
  fake_node node;
  auto o = options();
  o.limits.max_frame_bytes = 256;
  worker_link link(o, node);
  link.on_tick(io, t0);
  link.on_frame(io, 0, {}, encode(welcome{7, 500, 1500}), 1);
  link.on_frame(io, 0, {}, encode(batch_profiles{3, {sim_profile()}}), 1);
  auto big = task(3, 1);
  big.prompt.assign(300, 'x');
  link.on_frame(io, 0, {}, encode(task_frame{{big}}), 1);
  BOOST_TEST(link.counters().dropped_for(drop_reason::too_large) == 1u);
  BOOST_TEST(node.tasks.empty());
  link.on_frame(io, 0, {}, encode(task_frame{{task(3, 1)}}), 1);
  BOOST_TEST(node.tasks.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(profiles_and_tasks_before_a_welcome_are_dropped, fixture) {
  tick();
  receive(batch_profiles{3, {sim_profile()}});
  receive(task_frame{{task(3, 1)}});
  BOOST_TEST(node.profiles.empty());
  BOOST_TEST(node.tasks.empty());
  BOOST_TEST(link.counters().dropped_for(drop_reason::not_hello) == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
