#define BOOST_TEST_MODULE peer_table
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "nodes/peer_table.hpp"

using namespace parallm::nodes;
using namespace std::chrono_literals;
using clock_type = peer_table::clock;
using ids = std::vector<std::string>;

namespace {

const clock_type::time_point t0{};
constexpr auto liveness = 3000ms;

decode_result hello() {
  return message{worker_hello{"w1", "gpu-3", 4}};
}
decode_result beat() {
  return message{heartbeat{7}};
}

verdict route() {
  return {frame_action::route};
}
verdict dropped(drop_reason r) {
  return {frame_action::drop, r};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hello_first)

BOOST_AUTO_TEST_CASE(frames_before_hello_are_dropped_and_counted) {
  peer_table t(peer_kind::worker);
  BOOST_TEST((t.on_frame("a", beat(), t0) == dropped(drop_reason::not_hello)));
  BOOST_TEST((t.on_frame("a", message{result_frame{}}, t0) == dropped(drop_reason::not_hello)));
  BOOST_TEST(t.counters().dropped_for(drop_reason::not_hello) == 2u);
  BOOST_TEST(t.counters().accepted == 0u);
  BOOST_TEST(t.peers().empty());
}

BOOST_AUTO_TEST_CASE(a_hello_admits_the_peer_and_its_frames_are_routed) {
  peer_table t(peer_kind::worker);
  BOOST_TEST((t.on_frame("a", hello(), t0) == verdict{frame_action::admit}));
  const auto* p = t.find("a");
  BOOST_TEST_REQUIRE(p != nullptr);
  BOOST_TEST((p->kind == peer_kind::worker));
  BOOST_TEST(p->name == "w1");
  BOOST_TEST(p->host == "gpu-3");
  BOOST_TEST(p->capacity == 4u);
  BOOST_TEST((t.on_frame("a", beat(), t0 + 1s) == route()));
  BOOST_TEST((t.on_frame("a", message{credit{0, 2}}, t0 + 1s) == route()));
  // Another routing id on the same socket is another peer.
  BOOST_TEST((t.on_frame("b", beat(), t0 + 1s) == dropped(drop_reason::not_hello)));
  BOOST_TEST(t.counters().accepted == 3u);
}

BOOST_AUTO_TEST_CASE(a_client_hello_admits_a_client) {
  peer_table t(peer_kind::client);
  BOOST_TEST(
      (t.on_frame("c", message{client_hello{"me", "laptop"}}, t0) == verdict{frame_action::admit}));
  BOOST_TEST_REQUIRE(t.find("c") != nullptr);
  BOOST_TEST((t.find("c")->kind == peer_kind::client));
  BOOST_TEST(t.find("c")->name == "me");
  BOOST_TEST(
      (t.on_frame("c", message{submit{1, "job.yaml", "{}", {}, false, false, 0}}, t0) == route()));
}

BOOST_AUTO_TEST_CASE(undecodable_frames_are_counted_by_the_codecs_error) {
  peer_table t(peer_kind::worker);
  t.on_frame("a", hello(), t0);
  BOOST_TEST((t.on_frame("a", decode(std::string("\xc1", 1)), t0 + 1s) ==
              dropped(drop_reason::malformed)));
  BOOST_TEST((t.on_frame("a", decode_error::unknown_version, t0 + 1s) ==
              dropped(drop_reason::unknown_version)));
  BOOST_TEST(
      (t.on_frame("x", decode_error::too_large, t0 + 1s) == dropped(drop_reason::too_large)));
  BOOST_TEST(t.counters().dropped_for(drop_reason::malformed) == 1u);
  BOOST_TEST(t.counters().dropped_for(drop_reason::unknown_version) == 1u);
  BOOST_TEST(t.counters().dropped_for(drop_reason::too_large) == 1u);
  // A frame that does not decode is no sign of life.
  BOOST_TEST(t.expired(t0 + liveness + 1ns, liveness) == ids{"a"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sides)

BOOST_AUTO_TEST_CASE(client_commands_on_the_worker_socket_are_dropped) {
  peer_table t(peer_kind::worker);
  t.on_frame("a", hello(), t0);
  BOOST_TEST((t.on_frame("a", message{submit{}}, t0) == dropped(drop_reason::wrong_side)));
  BOOST_TEST((t.on_frame("a", message{status_request{}}, t0) == dropped(drop_reason::wrong_side)));
  BOOST_TEST((t.on_frame("b", message{client_hello{"me", "laptop"}}, t0) ==
              dropped(drop_reason::wrong_side)));
  BOOST_TEST(t.counters().dropped_for(drop_reason::wrong_side) == 3u);
  BOOST_TEST(t.peers().size() == 1u);
}

BOOST_AUTO_TEST_CASE(worker_commands_on_the_client_socket_are_dropped) {
  peer_table t(peer_kind::client);
  t.on_frame("c", message{client_hello{"me", "laptop"}}, t0);
  BOOST_TEST((t.on_frame("c", message{result_frame{}}, t0) == dropped(drop_reason::wrong_side)));
  // A client's credit comes from the coordinator, never to it.
  BOOST_TEST((t.on_frame("c", message{credit{1, 5}}, t0) == dropped(drop_reason::wrong_side)));
  BOOST_TEST((t.on_frame("d", hello(), t0) == dropped(drop_reason::wrong_side)));
  BOOST_TEST(t.counters().dropped_for(drop_reason::wrong_side) == 3u);
  BOOST_TEST(t.find("d") == nullptr);
}

BOOST_AUTO_TEST_CASE(commands_only_a_coordinator_sends_are_dropped_from_anyone) {
  peer_table t(peer_kind::worker);
  t.on_frame("a", hello(), t0);
  BOOST_TEST((t.on_frame("a", message{welcome{}}, t0) == dropped(drop_reason::wrong_side)));
  BOOST_TEST((t.on_frame("a", message{task_frame{}}, t0) == dropped(drop_reason::wrong_side)));
  BOOST_TEST(t.counters().dropped_for(drop_reason::wrong_side) == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(silence)

BOOST_AUTO_TEST_CASE(a_silent_worker_expires_exactly_after_the_liveness_interval) {
  peer_table t(peer_kind::worker);
  t.on_frame("a", hello(), t0);
  t.on_frame("b", hello(), t0 + 1s);
  BOOST_TEST(t.expired(t0 + liveness, liveness).empty());
  BOOST_TEST(t.expired(t0 + liveness + 1ns, liveness) == ids{"a"});
  BOOST_TEST(t.find("a") == nullptr);
  BOOST_TEST(t.find("b") != nullptr);
  // Once expired, it is a stranger until it says hello again.
  BOOST_TEST((t.on_frame("a", beat(), t0 + 4s) == dropped(drop_reason::not_hello)));
  BOOST_TEST(t.expired(t0 + 1s + liveness + 1ns, liveness) == ids{"b"});
  BOOST_TEST(t.peers().empty());
}

BOOST_AUTO_TEST_CASE(any_accepted_frame_is_a_sign_of_life) {
  peer_table t(peer_kind::worker);
  t.on_frame("a", hello(), t0);
  t.on_frame("a", message{result_frame{}}, t0 + 2s);
  BOOST_TEST(t.expired(t0 + 2s + liveness, liveness).empty());
  BOOST_TEST(t.expired(t0 + 2s + liveness + 1ns, liveness) == ids{"a"});
}

BOOST_AUTO_TEST_CASE(a_reconnect_hello_readmits_and_resets_liveness) {
  peer_table t(peer_kind::worker);
  t.on_frame("a", hello(), t0);
  BOOST_TEST((t.on_frame("a", message{worker_hello{"w1", "gpu-3", 8}}, t0 + 2s) ==
              verdict{frame_action::readmit}));
  BOOST_TEST(t.find("a")->capacity == 8u);
  BOOST_TEST(t.peers().size() == 1u);
  BOOST_TEST(t.expired(t0 + 2s + liveness, liveness).empty());
  BOOST_TEST(t.expired(t0 + 2s + liveness + 1ns, liveness) == ids{"a"});
}

BOOST_AUTO_TEST_CASE(the_same_hello_again_before_anything_else_is_a_repeat) {
  peer_table t(peer_kind::worker);
  t.on_frame("a", hello(), t0);
  // Queued while the connection was down: no session to drop.
  BOOST_TEST((t.on_frame("a", hello(), t0 + 1s) == verdict{frame_action::repeat}));
  BOOST_TEST(t.expired(t0 + 1s + liveness, liveness).empty());
  // Once it said something else, the same hello means it dropped its session.
  t.on_frame("a", beat(), t0 + 2s);
  BOOST_TEST((t.on_frame("a", hello(), t0 + 3s) == verdict{frame_action::readmit}));
  BOOST_TEST((t.on_frame("a", hello(), t0 + 3s) == verdict{frame_action::repeat}));
  BOOST_TEST(t.counters().accepted == 5u);
}

BOOST_AUTO_TEST_CASE(heartbeats_go_to_peers_sent_nothing_for_an_interval) {
  peer_table t(peer_kind::worker);
  t.on_frame("b", hello(), t0);
  t.on_frame("a", hello(), t0);
  t.on_frame("c", hello(), t0 + 500ms);
  BOOST_TEST(t.due_heartbeats(t0 + 999ms, 1s).empty());
  t.note_sent("b", t0 + 800ms);  // tasks went to b: no heartbeat needed yet
  BOOST_TEST(t.due_heartbeats(t0 + 1s, 1s) == ids{"a"});
  // A heartbeat counts as sent: the next is due one interval later.
  BOOST_TEST(t.due_heartbeats(t0 + 1500ms, 1s) == (ids{"c"}));
  BOOST_TEST(t.due_heartbeats(t0 + 2s, 1s) == (ids{"a", "b"}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(most_peers)

BOOST_AUTO_TEST_CASE(a_hello_past_the_most_peers_is_refused_and_kept_nowhere) {
  peer_table t(peer_kind::worker, 2);
  t.on_frame("a", hello(), t0);
  t.on_frame("b", hello(), t0);
  const auto refused = t.on_frame("c", hello(), t0);
  BOOST_TEST((refused.action == frame_action::refuse));
  BOOST_TEST((refused.refused == refuse_reason::too_many_peers));
  BOOST_TEST(t.find("c") == nullptr);
  BOOST_TEST(t.counters().refused_for(refuse_reason::too_many_peers) == 1u);
  BOOST_TEST(t.counters().accepted == 2u);
  // Its other frames are not_hello, as a stranger's.
  BOOST_TEST((t.on_frame("c", beat(), t0) == dropped(drop_reason::not_hello)));
}

BOOST_AUTO_TEST_CASE(peers_already_in_may_say_hello_again_and_a_place_frees_when_one_goes) {
  peer_table t(peer_kind::worker, 2);
  t.on_frame("a", hello(), t0);
  t.on_frame("b", hello(), t0 + 2s);
  t.on_frame("a", beat(), t0);
  BOOST_TEST((t.on_frame("a", hello(), t0) == verdict{frame_action::readmit}));
  BOOST_TEST((t.on_frame("c", hello(), t0).action == frame_action::refuse));
  BOOST_TEST(t.expired(t0 + liveness + 1ns, liveness) == ids{"a"});
  BOOST_TEST((t.on_frame("c", hello(), t0 + 4s) == verdict{frame_action::admit}));
  BOOST_TEST(t.forget("b"));
  BOOST_TEST(!t.forget("b"));
  BOOST_TEST((t.on_frame("d", hello(), t0 + 4s) == verdict{frame_action::admit}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(counters_add_up_to_the_frames_seen) {
  peer_table t(peer_kind::worker);
  const std::vector<decode_result> frames{beat(),
                                          hello(),
                                          beat(),
                                          message{submit{}},
                                          decode_error::wrong_shape,
                                          hello(),
                                          message{result_frame{}},
                                          decode_error::unknown_command};
  for (const auto& f : frames) t.on_frame("a", f, t0);
  t.on_frame("b", beat(), t0);
  const auto& c = t.counters();
  BOOST_TEST(c.accepted == 4u);
  BOOST_TEST(c.dropped_for(drop_reason::not_hello) == 2u);
  BOOST_TEST(c.dropped_for(drop_reason::wrong_side) == 1u);
  BOOST_TEST(c.dropped_for(drop_reason::wrong_shape) == 1u);
  BOOST_TEST(c.dropped_for(drop_reason::unknown_command) == 1u);
  BOOST_TEST(c.frames() == frames.size() + 1);
}
