#define BOOST_TEST_MODULE worker_process
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "nodes/wire_codec.hpp"
#include "support/fake_upstream.hpp"
#include "support/process.hpp"

// The real `parallm worker` against a test that plays the coordinator with a raw ROUTER.

using namespace parallm;
using namespace parallm::nodes;
using namespace std::chrono_literals;
using parallm::test::child_process;
using parallm::test::temp_dir;

namespace {

// Every wait gets this long: far more than a loaded machine needs, and still bounded.
constexpr auto patience = 20s;

struct coordinator_double {
  zmq::context_t context;
  zmq::socket_t router{context, zmq::socket_type::router};
  std::string endpoint;
  std::string worker_id;  // the routing id of the worker's DEALER

  explicit coordinator_double(const std::string& bind_to = "tcp://127.0.0.1:*") {
    router.set(zmq::sockopt::linger, 0);
    router.bind(bind_to);
    endpoint = router.get(zmq::sockopt::last_endpoint);
  }

  // The next frame from the worker, decoded, or nullopt when none came in time.
  std::optional<message> receive(std::chrono::milliseconds limit = patience) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 100ms);
      if (!(item.revents & ZMQ_POLLIN)) continue;
      zmq::multipart_t parts(router);
      BOOST_REQUIRE(parts.size() == 2u);
      worker_id = parts[0].to_string();
      auto m = decode(parts[1].to_string_view());
      BOOST_REQUIRE_MESSAGE(m.has_value(), "the worker sent a frame that does not decode");
      return std::move(m.value());
    }
    return std::nullopt;
  }

  // The next frame of `c`, skipping heartbeats (and, when asked, hellos).
  std::optional<message> receive_a(command c, std::chrono::milliseconds limit = patience) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      auto m = receive(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (!m) return std::nullopt;
      if (command_of(*m) == c) return m;
      BOOST_TEST_REQUIRE(
          (command_of(*m) == command::heartbeat || command_of(*m) == command::worker_hello ||
           command_of(*m) == command::results),
          "unexpected command " << to_string(command_of(*m)));
    }
    return std::nullopt;
  }

  void send_bytes(const std::string& bytes) {
    zmq::multipart_t parts;
    parts.addstr(worker_id);
    parts.addstr(bytes);
    parts.send(router);
  }
  void send(const message& m) { send_bytes(encode(m)); }

  // Collects results until `n` came (or time is up), in arrival order.
  std::vector<wire_result> results(std::size_t n) {
    std::vector<wire_result> got;
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
      auto m = receive(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (!m) break;
      if (auto* r = std::get_if<result_frame>(&*m)) {
        for (auto& one : r->results) got.push_back(std::move(one));
      }
    }
    return got;
  }
};

call_profile sim_profile() {
  call_profile p;
  p.endpoint.kind = config::provider_kind::sim;
  p.endpoint.sim.choices = {"yes"};
  p.endpoint.sim.latency_ms = 5;
  return p;
}

// Tasks counter first .. first+n-1 of batch 1, in frames of `per_frame`.
std::vector<task_frame> task_frames(std::uint64_t epoch, std::uint64_t first, std::uint64_t n,
                                    std::size_t per_frame) {
  std::vector<task_frame> frames;
  for (std::uint64_t c = first; c < first + n; ++c) {
    if (frames.empty() || frames.back().tasks.size() == per_frame) frames.emplace_back();
    wire_task t;
    t.key = {epoch, 1, c};
    t.attempt = static_cast<std::uint32_t>(1 + c % 3);
    t.generation = static_cast<std::uint32_t>(c % 2);
    t.prompt = "question " + std::to_string(c);
    frames.back().tasks.push_back(std::move(t));
  }
  return frames;
}

void check_answers(const std::vector<wire_result>& got, std::uint64_t epoch, std::uint64_t first,
                   std::uint64_t n) {
  BOOST_TEST_REQUIRE(got.size() == n);
  std::set<std::uint64_t> seen;
  for (const auto& r : got) {
    BOOST_TEST(r.key.epoch == epoch);
    BOOST_TEST(r.key.batch == 1u);
    BOOST_TEST(r.key.counter >= first);
    BOOST_TEST(r.key.counter < first + n);
    BOOST_TEST(r.attempt == 1 + r.key.counter % 3);
    BOOST_TEST(r.generation == r.key.counter % 2);
    BOOST_TEST((r.outcome.kind == providers::outcome_kind::ok), r.outcome.error);
    BOOST_TEST(r.outcome.text == "yes");
    seen.insert(r.key.counter);
  }
  BOOST_TEST(seen.size() == n);
}

std::vector<std::string> worker_argv(const std::string& endpoint) {
  return {PARALLM_EXE,   "worker",        "--connect", endpoint,         "--name",
          "test-worker", "--concurrency", "128",       "--heartbeat-ms", "200"};
}

}  // namespace

BOOST_AUTO_TEST_CASE(runs_tasks_answers_every_one_and_shrugs_off_garbage) {
  coordinator_double coordinator;
  temp_dir dir;
  child_process worker(worker_argv(coordinator.endpoint), dir.path());

  auto hello = coordinator.receive_a(command::worker_hello);
  BOOST_TEST_REQUIRE(hello.has_value(), "no hello; stderr: " << worker.err_so_far());
  const auto& h = std::get<worker_hello>(*hello);
  BOOST_TEST(h.name == "test-worker");
  BOOST_TEST(h.capacity == 128u);
  BOOST_TEST(!h.host.empty());

  coordinator.send(welcome{42, 500, 60000, {}});
  coordinator.send(batch_profiles{1, {sim_profile()}});
  for (const auto& f : task_frames(42, 1, 100, 30)) coordinator.send(f);
  check_answers(coordinator.results(100), 42, 1, 100);

  // Garbage of every kind, then more work: the worker drops the garbage and goes on.
  auto wrong_version = encode(heartbeat{42});
  wrong_version[1] = '\x07';
  coordinator.send_bytes("\xc1");
  coordinator.send_bytes(std::string(1000, '\x92'));
  coordinator.send_bytes(encode(heartbeat{42}).substr(0, 3));
  coordinator.send_bytes(wrong_version);
  coordinator.send(worker_hello{"impostor", "x", 1});
  coordinator.send(result_frame{});
  for (const auto& f : task_frames(42, 101, 100, 7)) {
    coordinator.send(f);
    coordinator.send_bytes("not msgpack at all");
  }
  check_answers(coordinator.results(100), 42, 101, 100);

  // Quiet but connected: heartbeats keep coming at the welcome's interval.
  auto beat = coordinator.receive_a(command::heartbeat, 5s);
  BOOST_TEST_REQUIRE(beat.has_value());
  BOOST_TEST(std::get<heartbeat>(*beat).epoch == 42u);

  worker.signal(SIGTERM);
  const auto end = worker.wait(20s);
  BOOST_TEST(end.exit_code == 0, end.err);
  BOOST_TEST(end.err.find("parallm worker test-worker: joined coordinator at " +
                          coordinator.endpoint + " (epoch 000000000000002a)") != std::string::npos,
             end.err);
  BOOST_TEST(end.err.find("200 tasks, 200 results") != std::string::npos, end.err);
  // 4 that do not decode (nested too deep, invalid, cut short, another version), 2 that a
  // coordinator never sends, 15 between the task frames.
  BOOST_TEST(
      end.err.find(
          ", 21 frames dropped (too_large 1, malformed 17, unknown_version 1, wrong_side 2)") !=
          std::string::npos,
      end.err);
  BOOST_TEST(end.err.find("parallm worker: stopping") != std::string::npos, end.err);
  BOOST_TEST(end.err.find("waiting for those in flight") == std::string::npos, end.err);
}

BOOST_AUTO_TEST_CASE(says_hello_again_to_a_coordinator_that_went_silent_and_came_back_new) {
  coordinator_double coordinator;
  temp_dir dir;
  child_process worker(worker_argv(coordinator.endpoint), dir.path());
  BOOST_TEST_REQUIRE(coordinator.receive_a(command::worker_hello).has_value(), worker.err_so_far());
  // A short liveness, then silence: the worker takes the coordinator for gone.
  coordinator.send(welcome{42, 200, 600, {}});
  coordinator.send(batch_profiles{1, {sim_profile()}});
  for (const auto& f : task_frames(42, 1, 10, 10)) coordinator.send(f);
  check_answers(coordinator.results(10), 42, 1, 10);
  BOOST_TEST_REQUIRE(coordinator.receive_a(command::worker_hello).has_value(), worker.err_so_far());

  // A restarted coordinator: a new epoch, so the old batch's profiles are gone and tasks of
  // the old batch number fail by name, until the new coordinator sends its own.
  coordinator.send(welcome{43, 200, 5000, {}});
  for (const auto& f : task_frames(43, 1, 3, 3)) coordinator.send(f);
  const auto refused = coordinator.results(3);
  BOOST_TEST_REQUIRE(refused.size() == 3u);
  for (const auto& r : refused) {
    BOOST_TEST((r.outcome.kind == providers::outcome_kind::final));
    BOOST_TEST(r.outcome.error.find("unknown_batch") != std::string::npos, r.outcome.error);
  }
  coordinator.send(batch_profiles{1, {sim_profile()}});
  for (const auto& f : task_frames(43, 4, 20, 8)) coordinator.send(f);
  check_answers(coordinator.results(20), 43, 4, 20);

  worker.signal(SIGINT);
  const auto end = worker.wait(20s);
  BOOST_TEST(end.exit_code == 0, end.err);
  BOOST_TEST(end.err.find("lost the coordinator at " + coordinator.endpoint) != std::string::npos,
             end.err);
  BOOST_TEST(end.err.find("restarted") != std::string::npos, end.err);
  BOOST_TEST(end.err.find("back with coordinator at " + coordinator.endpoint +
                          " (epoch 000000000000002b)") != std::string::npos,
             end.err);
}

BOOST_AUTO_TEST_CASE(a_worker_started_first_joins_when_the_coordinator_comes_up) {
  // A socket file, not a port picked now and bound 2.5 s later: another suite running beside
  // this one could take the port in between.
  temp_dir dir;
  const auto endpoint = "ipc://" + (dir / "coordinator.sock").string();
  child_process worker(worker_argv(endpoint), dir.path());
  // Hellos every 200 ms without the wait growing would be ~13 by now, all queued by ZeroMQ
  // and delivered at once; each would be a reconnection at the coordinator.
  std::this_thread::sleep_for(2500ms);
  coordinator_double coordinator(endpoint);
  BOOST_TEST_REQUIRE(coordinator.receive_a(command::worker_hello).has_value(), worker.err_so_far());
  int hellos = 1;
  while (auto m = coordinator.receive(300ms)) hellos += command_of(*m) == command::worker_hello;
  BOOST_TEST_MESSAGE("hellos queued while the coordinator was down: " << hellos);
  BOOST_TEST(hellos < 10);
  coordinator.send(welcome{44, 500, 60000, {}});
  coordinator.send(batch_profiles{1, {sim_profile()}});
  for (const auto& f : task_frames(44, 1, 50, 50)) coordinator.send(f);
  check_answers(coordinator.results(50), 44, 1, 50);
  worker.signal(SIGTERM);
  BOOST_TEST(worker.wait(20s).exit_code == 0);
}
