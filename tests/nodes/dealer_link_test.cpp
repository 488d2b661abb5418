#define BOOST_TEST_MODULE dealer_link
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "link_fakes.hpp"
#include "nodes/dealer_link.hpp"

using namespace parallm::nodes;
using namespace std::chrono_literals;
using parallm::test::recording_io;
using clock_type = std::chrono::steady_clock;

namespace {

struct recorded_events final : dealer_events {
  void welcomed(std::uint64_t epoch) override {
    log.push_back("welcomed " + std::to_string(epoch));
  }
  void lost() override { log.push_back("lost"); }
  void received(message m) override { log.push_back(std::string(to_string(command_of(m)))); }
  std::vector<std::string> log;
};

struct fixture {
  fixture() : link(settings(), events, {command::credit, command::item_lines}) {}
  static dealer_settings settings() {
    dealer_settings s;
    s.hello = encode(client_hello{"me", "laptop"});
    s.heartbeat = 1000ms;
    s.liveness = 3000ms;
    return s;
  }
  void frame(const message& m) { link.on_frame(io, 0, "", encode(m), 1); }
  void welcome_at(std::uint64_t epoch) { frame(welcome{epoch, 500, 2000}); }
  recording_io io;
  recorded_events events;
  dealer_link link;
  clock_type::time_point t0 = clock_type::now();
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(dealer_link_rules, fixture)

BOOST_AUTO_TEST_CASE(hello_goes_out_first_and_again_each_interval_until_welcomed) {
  link.on_tick(io, t0);
  BOOST_TEST(io.count(command::client_hello) == 1u);
  link.on_tick(io, t0 + 500ms);
  BOOST_TEST(io.count(command::client_hello) == 1u);
  link.on_tick(io, t0 + 1100ms);
  BOOST_TEST(io.count(command::client_hello) == 2u);
  welcome_at(9);
  BOOST_TEST(events.log == std::vector<std::string>{"welcomed 9"});
  BOOST_TEST(link.welcomed());
}

BOOST_AUTO_TEST_CASE(the_welcome_sets_the_heartbeat_and_a_repeated_one_is_ignored) {
  link.on_tick(io, t0);
  welcome_at(9);
  welcome_at(9);  // the answer to a hello that queued in the same outage
  BOOST_TEST(events.log == std::vector<std::string>{"welcomed 9"});
  const auto now = clock_type::now();
  link.on_tick(io, now + 600ms);  // the welcome's 500 ms, not the settings' 1000 ms
  BOOST_TEST(io.count(command::heartbeat) == 1u);
  BOOST_TEST(std::get<heartbeat>(io.sent.back().message).epoch == 9u);
}

BOOST_AUTO_TEST_CASE(frames_before_the_welcome_and_for_another_kind_of_peer_are_dropped) {
  link.on_tick(io, t0);
  frame(credit{1, 10});
  BOOST_TEST(link.counters().dropped_for(drop_reason::not_hello) == 1u);
  welcome_at(9);
  frame(task_frame{});
  BOOST_TEST(link.counters().dropped_for(drop_reason::wrong_side) == 1u);
  link.on_frame(io, 0, "", "\xc1", 1);
  link.on_frame(io, 0, "", encode(credit{1, 1}), 3);
  BOOST_TEST(link.counters().dropped_for(drop_reason::malformed) == 2u);
  frame(credit{1, 10});
  BOOST_TEST(events.log == (std::vector<std::string>{"welcomed 9", "credit"}));
}

BOOST_AUTO_TEST_CASE(a_silent_coordinator_is_lost_and_hello_goes_out_again) {
  link.on_tick(io, t0);
  welcome_at(9);
  const auto now = clock_type::now();
  link.on_tick(io, now + 2500ms);  // the welcome's liveness: 2000 ms
  BOOST_TEST(events.log == (std::vector<std::string>{"welcomed 9", "lost"}));
  BOOST_TEST(io.count(command::client_hello) == 2u);
  BOOST_TEST(!link.welcomed());
  welcome_at(11);  // a restarted coordinator
  BOOST_TEST(events.log == (std::vector<std::string>{"welcomed 9", "lost", "welcomed 11"}));
}

BOOST_AUTO_TEST_CASE(not_known_there_means_hello_again_once_per_interval) {
  link.on_tick(io, t0);
  welcome_at(9);
  const auto hellos = io.count(command::client_hello);
  for (int i = 0; i < 5; ++i) frame(refusal{command::items, 1, "not_hello"});
  BOOST_TEST(events.log == (std::vector<std::string>{"welcomed 9", "lost"}));
  // The hello just before the welcome counts: at most one more within the interval.
  BOOST_TEST(io.count(command::client_hello) <= hellos + 1);
  link.on_tick(io, clock_type::now() + 1100ms);
  BOOST_TEST(io.count(command::client_hello) >= hellos + 1);
  // Any other refusal is the actors' business.
  welcome_at(9);
  frame(refusal{command::submit, 1, "bad job"});
  BOOST_TEST(events.log.back() == "refusal");
}

BOOST_AUTO_TEST_SUITE_END()
