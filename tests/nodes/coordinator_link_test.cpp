#define BOOST_TEST_MODULE coordinator_link
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "link_fakes.hpp"
#include "nodes/coordinator_link.hpp"
#include "nodes/frame_post.hpp"

using namespace parallm::nodes;
using namespace std::chrono_literals;
using parallm::test::recording_io;
using clock_type = std::chrono::steady_clock;

namespace {

struct recorded_events final : coordinator_events {
  void worker_joined(const std::string& id, const worker_hello& h) override {
    log.push_back("joined " + id + " " + h.name);
  }
  void worker_left(const std::string& id) override { log.push_back("left " + id); }
  void from_worker(const std::string& id, message m) override {
    log.push_back("worker " + id + " " + std::string(to_string(command_of(m))));
  }
  void client_joined(const std::string& id, const client_hello& h) override {
    log.push_back("client joined " + id + " " + h.client_id);
  }
  void client_left(const std::string& id) override { log.push_back("client left " + id); }
  void from_client(const std::string& id, message m) override {
    log.push_back("client " + id + " " + std::string(to_string(command_of(m))));
  }
  std::vector<std::string> log;
};

struct fixture {
  fixture() : link(settings(), events) {}
  static link_settings settings() {
    link_settings s;
    s.epoch = 42;
    s.heartbeat = 1000ms;
    s.liveness = 3000ms;
    return s;
  }
  void frame(std::size_t socket, const std::string& id, const message& m) {
    link.on_frame(io, socket, id, encode(m), 1);
  }
  void raw(std::size_t socket, const std::string& id, const std::string& bytes,
           std::size_t parts = 1) {
    link.on_frame(io, socket, id, bytes, parts);
  }
  peer_counters workers() {
    link.on_tick(io, clock_type::now());
    return link.snapshot().workers;
  }
  recording_io io;
  recorded_events events;
  coordinator_link link;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(coordinator_link_rules, fixture)

BOOST_AUTO_TEST_CASE(a_worker_hello_is_welcomed_with_the_epoch_and_reported) {
  frame(workers_socket, "w", worker_hello{"gpu-1", "host-a", 8});
  BOOST_TEST(events.log == std::vector<std::string>{"joined w gpu-1"});
  BOOST_TEST_REQUIRE(io.sent.size() == 1u);
  const auto* w = std::get_if<welcome>(&io.sent[0].message);
  BOOST_TEST_REQUIRE(w != nullptr);
  BOOST_TEST(w->epoch == 42u);
  BOOST_TEST(w->heartbeat_ms == 1000u);
  BOOST_TEST(w->liveness_ms == 3000u);
  BOOST_TEST(io.sent[0].routing_id == "w");
}

BOOST_AUTO_TEST_CASE(frames_of_a_peer_without_hello_are_dropped_and_refused) {
  frame(workers_socket, "w", result_frame{});
  BOOST_TEST(events.log.empty());
  BOOST_TEST_REQUIRE(io.count(command::refusal) == 1u);
  const auto& r = std::get<refusal>(io.sent[0].message);
  BOOST_TEST((r.refused == command::results));
  BOOST_TEST(r.reason == "not_hello");
  BOOST_TEST(workers().dropped_for(drop_reason::not_hello) == 1u);
}

BOOST_AUTO_TEST_CASE(garbage_truncation_other_versions_and_multipart_are_counted_not_passed_on) {
  frame(workers_socket, "w", worker_hello{"gpu-1", "host-a", 8});
  events.log.clear();
  raw(workers_socket, "w", "\xc1\xc1garbage");
  const auto valid = encode(result_frame{});
  raw(workers_socket, "w", valid.substr(0, valid.size() - 1));
  raw(workers_socket, "w", valid, 2);
  raw(workers_socket, "w", std::string("\x93\x07\x03\x91\x00", 5));  // [7, 3, [0]]: version 7
  BOOST_TEST(events.log.empty());
  const auto c = workers();
  BOOST_TEST(c.dropped_for(drop_reason::malformed) == 3u);
  BOOST_TEST(c.dropped_for(drop_reason::unknown_version) == 1u);
  // Nothing answered: the peer gets no echo of its garbage.
  BOOST_TEST(io.count(command::refusal) == 0u);
}

BOOST_AUTO_TEST_CASE(a_client_command_on_the_workers_socket_is_the_wrong_side) {
  frame(workers_socket, "w", worker_hello{"gpu-1", "host-a", 8});
  frame(workers_socket, "w", submit{1, "job.yaml", "", {}, false, false, 0});
  frame(clients_socket, "c", worker_hello{"gpu-1", "host-a", 8});
  BOOST_TEST(events.log == std::vector<std::string>{"joined w gpu-1"});
  BOOST_TEST(workers().dropped_for(drop_reason::wrong_side) == 1u);
  BOOST_TEST(link.snapshot().clients.dropped_for(drop_reason::wrong_side) == 1u);
  BOOST_TEST(io.count(command::refusal) == 2u);
}

BOOST_AUTO_TEST_CASE(results_are_passed_on_and_heartbeats_are_not) {
  frame(workers_socket, "w", worker_hello{"gpu-1", "host-a", 8});
  frame(workers_socket, "w", heartbeat{42});
  frame(workers_socket, "w", result_frame{});
  frame(clients_socket, "c", client_hello{"me", "laptop"});
  frame(clients_socket, "c", status_request{});
  BOOST_TEST(events.log ==
             (std::vector<std::string>{"joined w gpu-1", "worker w results", "client joined c me",
                                       "client c status_request"}));
}

BOOST_AUTO_TEST_CASE(a_second_hello_is_a_rejoin_the_old_session_leaves_first) {
  frame(workers_socket, "w", worker_hello{"gpu-1", "host-a", 8});
  frame(workers_socket, "w", result_frame{});
  frame(workers_socket, "w", worker_hello{"gpu-1", "host-a", 8});
  BOOST_TEST(events.log == (std::vector<std::string>{"joined w gpu-1", "worker w results", "left w",
                                                     "joined w gpu-1"}));
  BOOST_TEST(io.count(command::welcome) == 2u);
}

BOOST_AUTO_TEST_CASE(hellos_queued_in_an_outage_are_welcomed_without_a_rejoin) {
  for (int i = 0; i < 3; ++i) frame(workers_socket, "w", worker_hello{"gpu-1", "host-a", 8});
  BOOST_TEST(events.log == std::vector<std::string>{"joined w gpu-1"});
  BOOST_TEST(io.count(command::welcome) == 3u);
}

BOOST_AUTO_TEST_CASE(quiet_peers_get_heartbeats_and_silent_ones_leave) {
  frame(workers_socket, "w", worker_hello{"gpu-1", "host-a", 8});
  frame(clients_socket, "c", client_hello{"me", "laptop"});
  const auto now = clock_type::now();
  link.on_tick(io, now + 1500ms);
  BOOST_TEST(io.count(command::heartbeat) == 2u);
  link.on_tick(io, now + 1600ms);
  BOOST_TEST(io.count(command::heartbeat) == 2u);  // not again within the interval
  link.on_tick(io, now + 4000ms);
  BOOST_TEST(events.log == (std::vector<std::string>{"joined w gpu-1", "client joined c me",
                                                     "left w", "client left c"}));
  // Expired: its next frame is refused until it says hello again.
  frame(workers_socket, "w", result_frame{});
  BOOST_TEST(workers().dropped_for(drop_reason::not_hello) == 1u);
}

BOOST_AUTO_TEST_CASE(the_snapshot_tells_when_each_worker_was_last_heard) {
  frame(workers_socket, "w", worker_hello{"gpu-1", "host-a", 8});
  link.on_tick(io, clock_type::now());
  const auto seen = link.snapshot();
  BOOST_TEST(seen.workers_heard.count("w") == 1u);
  BOOST_TEST(seen.workers.accepted == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
