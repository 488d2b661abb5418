#define BOOST_TEST_MODULE dealer_link
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "link_fakes.hpp"
#include "nodes/announced_limits.hpp"
#include "nodes/dealer_link.hpp"

using namespace parallm::nodes;
using namespace std::chrono_literals;
using parallm::test::recording_io;
using clock_type = dealer_link::clock;

namespace {

const clock_type::time_point t0 = clock_type::time_point{} + 1h;

struct recorded_events final : dealer_events {
  void welcomed(const welcome& w, bool restarted) override {
    log.push_back((restarted ? "restarted " : "welcomed ") + std::to_string(w.epoch));
    last_welcome = w;
  }
  void lost() override { log.push_back("lost"); }
  void received(message m) override { log.push_back(std::string(to_string(command_of(m)))); }
  std::vector<std::string> log;
  welcome last_welcome;
};

dealer_settings settings() {
  dealer_settings s;
  s.hello = encode(client_hello{"me", "laptop"});
  s.hello_interval = 1000ms;
  s.heartbeat = 800ms;
  return s;
}

dealer_settings with_announced(dealer_settings s, std::shared_ptr<announced_limits> announced) {
  s.announced = std::move(announced);
  return s;
}

// A link that takes what a coordinator sends a client.
struct fixture : parallm::test::drives_a_dealer<fixture> {
  recording_io io;
  recorded_events events;
  std::shared_ptr<announced_limits> announced = std::make_shared<announced_limits>();
  dealer_link link{
      with_announced(settings(), announced), events, {command::credit, command::item_lines}};

  std::size_t hellos() const { return io.count(command::client_hello); }
  using log = std::vector<std::string>;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(hello_and_welcome)

BOOST_FIXTURE_TEST_CASE(hello_goes_out_on_the_first_tick_and_again_less_and_less_often, fixture) {
  tick();
  BOOST_TEST_REQUIRE(io.sent.size() == 1u);
  const auto* hello = std::get_if<client_hello>(&io.sent[0].message);
  BOOST_TEST_REQUIRE(hello != nullptr);
  BOOST_TEST(hello->client_id == "me");
  BOOST_TEST(io.sent[0].socket == 0u);
  tick(400ms);
  tick(400ms);
  BOOST_TEST(io.sent.size() == 1u);  // the interval has not passed
  tick(200ms);
  BOOST_TEST(hellos() == 2u);
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
  BOOST_TEST(link.counters().hellos == 8u);
  BOOST_TEST(link.counters().frames_out == 8u);
  BOOST_TEST(events.log.empty());
}

BOOST_FIXTURE_TEST_CASE(a_welcome_stops_the_hellos_and_a_repeated_one_is_ignored, fixture) {
  join();
  BOOST_TEST(link.welcomed());
  BOOST_TEST(link.epoch() == 7u);
  BOOST_TEST(events.log == log{"welcomed 7"});
  // A second welcome answers a second hello that queued in the same outage: the same session.
  receive(welcome{7, 500, 1500, {}});
  BOOST_TEST(events.log == log{"welcomed 7"});
  for (int i = 0; i < 10; ++i) tick(400ms), receive(heartbeat{7});
  BOOST_TEST(hellos() == 1u);
  BOOST_TEST(events.log == log{"welcomed 7"});
  BOOST_TEST(link.counters().restarts == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_welcome_without_sane_intervals_is_given_some, fixture) {
  tick();
  receive(welcome{7, 0, 0, {}});
  // The settings' heartbeat, and a liveness of three of them.
  BOOST_TEST(events.last_welcome.heartbeat_ms == 800u);
  BOOST_TEST(events.last_welcome.liveness_ms == 2400u);
  tick(800ms);
  BOOST_TEST(io.count(command::heartbeat) == 1u);
  tick(1599ms);
  BOOST_TEST(link.welcomed());
  tick(1ms);
  BOOST_TEST(!link.welcomed());
  BOOST_TEST(events.log == (log{"welcomed 7", "lost"}));
  // A liveness no longer than the heartbeat would give up between two heartbeats.
  receive(welcome{7, 400, 300, {}});
  BOOST_TEST(events.last_welcome.heartbeat_ms == 400u);
  BOOST_TEST(events.last_welcome.liveness_ms == 1200u);
}

BOOST_FIXTURE_TEST_CASE(announced_limits_are_kept_within_the_floors_and_the_defaults, fixture) {
  tick();
  // Limits of a few bytes would have the peer split into frames that cannot hold an entry.
  receive(welcome{7, 500, 1500, {1, 0, 2, 3}});
  const auto least = least_announced_limits;
  BOOST_TEST(events.last_welcome.limits.max_frame_bytes == least.max_frame_bytes);
  BOOST_TEST(events.last_welcome.limits.max_items == least.max_items);
  BOOST_TEST(events.last_welcome.limits.max_string_bytes == least.max_string_bytes);
  BOOST_TEST(events.last_welcome.limits.max_values == least.max_values);
  // Within the range, as announced; above the defaults, the defaults.
  receive(welcome{9, 500, 1500, {1u << 20, 100, 1u << 30, std::size_t{1} << 40}});
  BOOST_TEST(events.last_welcome.limits.max_frame_bytes == 1u << 20);
  BOOST_TEST(events.last_welcome.limits.max_items == 100u);
  BOOST_TEST(events.last_welcome.limits.max_string_bytes == wire_limits{}.max_string_bytes);
  BOOST_TEST(events.last_welcome.limits.max_values == wire_limits{}.max_values);
  // What the frames for the coordinator are split to: the same, published by the link.
  const auto published = announced->get();
  BOOST_TEST(published.max_frame_bytes == 1u << 20);
  BOOST_TEST(published.max_items == 100u);
  BOOST_TEST(published.max_string_bytes == wire_limits{}.max_string_bytes);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(liveness)

BOOST_FIXTURE_TEST_CASE(heartbeats_go_out_when_nothing_else_did_for_heartbeat_ms, fixture) {
  join();
  const auto before = io.sent.size();
  tick(300ms);
  receive(heartbeat{7});
  BOOST_TEST(io.sent.size() == before);
  tick(200ms);  // 500 ms since the hello: the welcome's heartbeat, not the settings'
  BOOST_TEST(io.count(command::heartbeat) == 1u);
  const auto* beat = std::get_if<heartbeat>(&io.sent.back().message);
  BOOST_TEST_REQUIRE(beat != nullptr);
  BOOST_TEST(beat->epoch == 7u);
  tick(100ms);
  receive(heartbeat{7});
  BOOST_TEST(io.count(command::heartbeat) == 1u);
  // Frames posted by the peer count as sent: no heartbeat while they flow.
  for (int i = 0; i < 6; ++i) {
    tick(250ms);
    link.note_sent(now);
    receive(heartbeat{7});
  }
  BOOST_TEST(io.count(command::heartbeat) == 1u);
  tick(500ms);
  BOOST_TEST(io.count(command::heartbeat) == 2u);
  BOOST_TEST(link.counters().heartbeats_out == 2u);
  // What the peer's own events send counts as sent too.
  tick(300ms);
  link.send(io, encode(credit{1, 1}));
  tick(300ms);
  BOOST_TEST(io.count(command::heartbeat) == 2u);
  tick(200ms);
  BOOST_TEST(io.count(command::heartbeat) == 3u);
  BOOST_TEST(link.counters().frames_out == 5u);  // the hello, three heartbeats, the credit
}

BOOST_FIXTURE_TEST_CASE(a_silent_coordinator_is_lost_and_hello_is_said_until_it_answers, fixture) {
  join();
  tick(1000ms);
  BOOST_TEST(link.welcomed());
  tick(500ms);  // 1500 ms of silence: the welcome's liveness
  BOOST_TEST(!link.welcomed());
  BOOST_TEST(events.log == (log{"welcomed 7", "lost"}));
  BOOST_TEST(link.counters().losses == 1u);
  BOOST_TEST(hellos() == 2u);
  BOOST_TEST(std::holds_alternative<client_hello>(io.sent.back().message));
  tick(1000ms);
  BOOST_TEST(hellos() == 3u);
  tick(1000ms);  // the next one waits twice as long
  BOOST_TEST(hellos() == 3u);
  tick(1000ms);
  BOOST_TEST(hellos() == 4u);
  // What belongs to the dropped session is not taken while the coordinator has not welcomed
  // this peer.
  receive(credit{1, 10});
  BOOST_TEST(link.counters().dropped_for(drop_reason::not_hello) == 1u);
  receive(welcome{7, 500, 1500, {}});
  BOOST_TEST(link.welcomed());
  // A new session of the same coordinator: reported, but not as a restart.
  BOOST_TEST(events.log == (log{"welcomed 7", "lost", "welcomed 7"}));
  tick(2000ms);  // lost again
  receive(welcome{11, 500, 1500, {}});
  BOOST_TEST(events.log == (log{"welcomed 7", "lost", "welcomed 7", "lost", "restarted 11"}));
  BOOST_TEST(link.counters().restarts == 1u);
  BOOST_TEST(link.counters().losses == 2u);
  BOOST_TEST(link.epoch() == 11u);
}

BOOST_FIXTURE_TEST_CASE(a_welcome_with_a_new_epoch_in_a_session_is_a_restart, fixture) {
  join(7);
  receive(welcome{9, 500, 1500, {}});
  BOOST_TEST(events.log == (log{"welcomed 7", "restarted 9"}));
  BOOST_TEST(link.epoch() == 9u);
  BOOST_TEST(link.welcomed());
}

BOOST_FIXTURE_TEST_CASE(a_heartbeat_with_a_new_epoch_ends_the_session_and_brings_a_hello, fixture) {
  join(7);
  tick(1000ms);  // the hello is an interval old, so a new one may go at once
  receive(heartbeat{11});
  BOOST_TEST(!link.welcomed());
  BOOST_TEST(events.log == (log{"welcomed 7", "lost"}));
  BOOST_TEST(hellos() == 2u);
  receive(heartbeat{11});  // out of a session: nothing more to end
  BOOST_TEST(hellos() == 2u);
  receive(welcome{11, 500, 1500, {}});
  BOOST_TEST(events.log == (log{"welcomed 7", "lost", "restarted 11"}));
  BOOST_TEST(link.welcomed());
}

BOOST_FIXTURE_TEST_CASE(refusals_for_not_hello_bring_one_hello_per_interval, fixture) {
  join();
  tick(1000ms);
  receive(heartbeat{7});
  const refusal not_hello{command::items, 0, "not_hello"};
  receive(not_hello);
  BOOST_TEST(!link.welcomed());
  BOOST_TEST(events.log == (log{"welcomed 7", "lost"}));
  BOOST_TEST(hellos() == 2u);
  // A burst of refusals (one per frame in flight) brings no burst of hellos.
  for (int i = 0; i < 20; ++i) receive(not_hello);
  tick(300ms);
  receive(not_hello);
  BOOST_TEST(hellos() == 2u);
  tick(700ms);
  BOOST_TEST(hellos() == 3u);
  BOOST_TEST(link.counters().refusals_in == 22u);
  BOOST_TEST(events.log == (log{"welcomed 7", "lost"}));
  // A refused hello is not a call for a new hello; another reason is the peer's business.
  receive(welcome{7, 500, 1500, {}});
  tick(1000ms);
  receive(refusal{command::client_hello, 0, "not_hello"});
  receive(refusal{command::worker_hello, 0, "not_hello"});
  receive(refusal{command::submit, 1, "bad job"});
  BOOST_TEST(link.welcomed());
  BOOST_TEST(hellos() == 3u);
  BOOST_TEST(events.log ==
             (log{"welcomed 7", "lost", "welcomed 7", "refusal", "refusal", "refusal"}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(frames_in)

BOOST_FIXTURE_TEST_CASE(before_the_welcome_only_welcome_heartbeat_and_refusal_are_taken, fixture) {
  tick();
  receive(credit{1, 10});
  receive(line_frame{});
  BOOST_TEST(link.counters().dropped_for(drop_reason::not_hello) == 2u);
  receive(heartbeat{7});
  receive(refusal{command::submit, 1, "bad job"});
  BOOST_TEST(events.log == log{"refusal"});
  BOOST_TEST(link.counters().dropped_total() == 2u);
  join();
  receive(credit{1, 10});
  BOOST_TEST(events.log == (log{"refusal", "welcomed 7", "credit"}));
}

BOOST_FIXTURE_TEST_CASE(bad_frames_are_counted_and_ignored, fixture) {
  join();
  const auto good = encode(heartbeat{7});
  auto wrong_version = good;
  wrong_version[1] = static_cast<char>(protocol_version + 1);  // [next, 3, [7]]
  receive_bytes("\xc1");
  receive_bytes(good.substr(0, good.size() - 1));
  receive_bytes(good + good);
  receive_bytes(wrong_version);
  receive_bytes(good, 2);
  receive_bytes({});
  BOOST_TEST(link.counters().dropped_for(drop_reason::malformed) == 5u);
  BOOST_TEST(link.counters().dropped_for(drop_reason::unknown_version) == 1u);
  // Commands a coordinator never sends to this kind of peer (it accepts credit, item_lines).
  receive(client_hello{"x", "y"});
  receive(worker_hello{"x", "y", 1});
  receive(task_frame{});
  receive(batch_profiles{});
  receive(batch_done{});
  BOOST_TEST(link.counters().dropped_for(drop_reason::wrong_side) == 5u);
  BOOST_TEST(link.counters().frames_in == 12u);  // with the welcome
  // The link still works.
  receive(credit{1, 10});
  BOOST_TEST(events.log == (log{"welcomed 7", "credit"}));
  BOOST_TEST(link.welcomed());
}

BOOST_AUTO_TEST_CASE(frames_over_the_limits_are_dropped_as_too_large) {
  recording_io io;
  recorded_events events;
  auto s = settings();
  s.limits.max_frame_bytes = 256;
  dealer_link link(s, events, {command::item_lines});
  link.on_tick(io, t0);
  link.on_frame(io, 0, {}, encode(welcome{7, 500, 1500, {}}), 1);
  line_frame big{1, {}};
  big.lines.push_back({1, std::string(300, 'x')});
  link.on_frame(io, 0, {}, encode(big), 1);
  BOOST_TEST(link.counters().dropped_for(drop_reason::too_large) == 1u);
  big.lines[0].text.resize(10);
  link.on_frame(io, 0, {}, encode(big), 1);
  BOOST_TEST(events.log == (std::vector<std::string>{"welcomed 7", "item_lines"}));
}

BOOST_AUTO_TEST_SUITE_END()
