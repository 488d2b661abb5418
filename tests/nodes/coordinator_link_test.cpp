#define BOOST_TEST_MODULE coordinator_link
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
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
  void client_refused(const std::string& id, std::uint64_t batch) override {
    log.push_back("client refused " + id + " " + std::to_string(batch));
  }
  std::vector<std::string> log;
};

struct fixture {
  fixture() : link(settings(), events) {}
  explicit fixture(link_settings s) : link(std::move(s), events) {}
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
  // The limits it takes frames within, for the peer to split to.
  BOOST_TEST(w->limits.max_frame_bytes == wire_limits{}.max_frame_bytes);
  BOOST_TEST(w->limits.max_items == wire_limits{}.max_items);
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

namespace {

// Made before the link that shares it.
struct ledger_holder {
  // One batch per client, 10 lines of slack past the credit.
  std::shared_ptr<client_ledger> ledger = std::make_shared<client_ledger>(1, 10);
};

// A link with small limits and a ledger, as `parallm coordinator` makes it.
struct limited : ledger_holder, fixture {
  limited() : fixture(with_limits(ledger)) {}
  static link_settings with_limits(std::shared_ptr<client_ledger> ledger) {
    auto s = settings();
    s.limits.max_workers = 1;
    s.limits.max_clients = 2;
    s.limits.max_batches_per_client = 1;
    s.limits.max_client_in_flight = 10;
    s.limits.wire.max_items = 64;
    s.ledger = std::move(ledger);
    return s;
  }
  peer_counters clients() {
    link.on_tick(io, clock_type::now());
    return link.snapshot().clients;
  }
  const refusal* last_refusal() {
    for (auto it = io.sent.rbegin(); it != io.sent.rend(); ++it) {
      if (const auto* r = std::get_if<refusal>(&it->message)) return r;
    }
    return nullptr;
  }
  static item_frame lines(std::uint64_t batch, std::size_t n) {
    item_frame f{batch, {}, false, 0};
    for (std::size_t i = 0; i < n; ++i) f.items.push_back({i, i + 1, "{}", ""});
    return f;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(coordinator_link_limits, limited)

BOOST_AUTO_TEST_CASE(a_worker_past_the_most_is_refused_with_the_reason_and_counted) {
  frame(workers_socket, "w1", worker_hello{"gpu-1", "host-a", 8});
  frame(workers_socket, "w2", worker_hello{"gpu-2", "host-b", 8});
  BOOST_TEST(events.log == std::vector<std::string>{"joined w1 gpu-1"});
  const auto* r = last_refusal();
  BOOST_TEST_REQUIRE(r != nullptr);
  BOOST_TEST((r->refused == command::worker_hello));
  BOOST_TEST(r->reason.find("--max-workers") != std::string::npos, r->reason);
  BOOST_TEST(io.sent.back().routing_id == "w2");
  BOOST_TEST(workers().refused_for(refuse_reason::too_many_peers) == 1u);
}

BOOST_AUTO_TEST_CASE(a_client_past_the_most_is_refused) {
  frame(clients_socket, "c1", client_hello{"one", "h"});
  frame(clients_socket, "c2", client_hello{"two", "h"});
  frame(clients_socket, "c3", client_hello{"three", "h"});
  BOOST_TEST(io.count(command::welcome) == 2u);
  const auto* r = last_refusal();
  BOOST_TEST_REQUIRE(r != nullptr);
  BOOST_TEST(r->reason.find("--max-clients") != std::string::npos, r->reason);
  BOOST_TEST(clients().refused_for(refuse_reason::too_many_peers) == 1u);
}

BOOST_AUTO_TEST_CASE(a_submit_past_the_clients_batches_is_refused_at_the_link) {
  frame(clients_socket, "c", client_hello{"one", "h"});
  frame(clients_socket, "c", submit{1, "a.yaml", "", {}, false, false, 0});
  frame(clients_socket, "c", submit{2, "b.yaml", "", {}, false, false, 0});
  BOOST_TEST(events.log == (std::vector<std::string>{"client joined c one", "client c submit"}));
  const auto* r = last_refusal();
  BOOST_TEST_REQUIRE(r != nullptr);
  BOOST_TEST((r->refused == command::submit));
  BOOST_TEST(r->batch == 2u);
  BOOST_TEST(r->reason.find("--max-batches-per-client") != std::string::npos, r->reason);
  BOOST_TEST(clients().refused_for(refuse_reason::too_many_batches) == 1u);
}

BOOST_AUTO_TEST_CASE(items_far_past_the_credit_refuse_the_batch_and_never_reach_the_node) {
  frame(clients_socket, "c", client_hello{"one", "h"});
  frame(clients_socket, "c", submit{1, "a.yaml", "", {}, false, false, 0});
  ledger->submit_taken("c");
  ledger->opened("c", 1);
  ledger->granted("c", 1, 20);
  frame(clients_socket, "c", lines(1, 20));
  frame(clients_socket, "c", lines(1, 11));  // 31 > 20 + 10
  frame(clients_socket, "c", lines(1, 64));
  BOOST_TEST(events.log == (std::vector<std::string>{"client joined c one", "client c submit",
                                                     "client c items", "client refused c 1"}));
  BOOST_TEST(io.count(command::refusal) == 1u);
  const auto* r = last_refusal();
  BOOST_TEST_REQUIRE(r != nullptr);
  BOOST_TEST((r->refused == command::submit));
  BOOST_TEST(r->batch == 1u);
  BOOST_TEST(r->reason.find("--max-client-in-flight") != std::string::npos, r->reason);
  BOOST_TEST(clients().refused_for(refuse_reason::over_credit) == 2u);
}

BOOST_AUTO_TEST_CASE(items_for_a_batch_not_running_are_refused_by_the_link) {
  frame(clients_socket, "c", client_hello{"one", "h"});
  frame(clients_socket, "c", lines(9, 1));
  BOOST_TEST(events.log == std::vector<std::string>{"client joined c one"});
  const auto* r = last_refusal();
  BOOST_TEST_REQUIRE(r != nullptr);
  BOOST_TEST((r->refused == command::items));
  BOOST_TEST(r->reason == "no such batch");
}

BOOST_AUTO_TEST_CASE(status_requests_do_not_queue_up_while_one_waits_for_its_answer) {
  frame(clients_socket, "c", client_hello{"one", "h"});
  for (int i = 0; i < 5; ++i) frame(clients_socket, "c", status_request{});
  ledger->status_answered("c");
  frame(clients_socket, "c", status_request{});
  BOOST_TEST(events.log ==
             (std::vector<std::string>{"client joined c one", "client c status_request",
                                       "client c status_request"}));
  BOOST_TEST(clients().refused_for(refuse_reason::status_pending) == 4u);
}

BOOST_AUTO_TEST_CASE(a_frame_over_the_items_limit_is_too_large) {
  frame(clients_socket, "c", client_hello{"one", "h"});
  frame(clients_socket, "c", lines(1, 65));
  BOOST_TEST(clients().dropped_for(drop_reason::too_large) == 1u);
}

BOOST_AUTO_TEST_CASE(a_peer_whose_backlog_overflowed_is_forgotten_and_counted) {
  frame(workers_socket, "w", worker_hello{"gpu-1", "host-a", 8});
  frame(clients_socket, "c", client_hello{"one", "h"});
  link.on_overflow(io, workers_socket, "w");
  link.on_overflow(io, clients_socket, "c");
  link.on_overflow(io, clients_socket, "c");
  BOOST_TEST(events.log == (std::vector<std::string>{"joined w gpu-1", "client joined c one",
                                                     "left w", "client left c"}));
  BOOST_TEST(workers().refused_for(refuse_reason::backlog_full) == 1u);
  BOOST_TEST(clients().refused_for(refuse_reason::backlog_full) == 2u);
  // Its place is free again.
  frame(workers_socket, "w2", worker_hello{"gpu-2", "host-b", 8});
  BOOST_TEST(events.log.back() == "joined w2 gpu-2");
}

BOOST_AUTO_TEST_SUITE_END()
