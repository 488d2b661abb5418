#define BOOST_TEST_MODULE e2e_submit_refused
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "cluster.hpp"
#include "nodes/wire_codec.hpp"

// A real `parallm submit` refused by its coordinator for a limit, the coordinator played by the
// test with a raw ROUTER: a refused hello is told the user once while the client keeps trying,
// and a refused batch ends the client with exit 2 and the coordinator's reason.

using namespace parallm;
using namespace parallm::test;

namespace {

struct coordinator_double {
  coordinator_double() {
    router.set(zmq::sockopt::linger, 0);
    router.bind("tcp://127.0.0.1:*");
    endpoint = router.get(zmq::sockopt::last_endpoint);
  }

  // The next frame of command `c` from the client; nullopt when none comes in time.
  std::optional<nodes::message> receive(nodes::command c) {
    const auto deadline = std::chrono::steady_clock::now() + cluster_patience;
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(50));
      if (!(item.revents & ZMQ_POLLIN)) continue;
      zmq::multipart_t message(router);
      if (message.size() != 2) continue;
      client_id = message[0].to_string();
      auto decoded = nodes::decode(message[1].to_string_view());
      if (decoded && nodes::command_of(decoded.value()) == c) return std::move(decoded.value());
    }
    return std::nullopt;
  }

  void send(const nodes::message& m) {
    zmq::multipart_t out;
    out.addstr(client_id);
    out.addstr(nodes::encode(m));
    out.send(router);
  }

  zmq::context_t context;
  zmq::socket_t router{context, zmq::socket_type::router};
  std::string endpoint;
  std::string client_id;
};

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// `parallm submit DIR/job.yaml --input DIR/in.jsonl --output DIR/out.jsonl` to the double.
std::vector<std::string> submit_args(const temp_dir& dir, const coordinator_double& coordinator) {
  return parallm_args({"submit", (dir / "job.yaml").string(), "--input",
                       (dir / "in.jsonl").string(), "--output", (dir / "out.jsonl").string(),
                       "--coordinator", coordinator.endpoint, "--no-progress"});
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_refused_hello_is_told_once_and_a_refused_batch_exits_2_with_the_reason) {
  temp_dir dir;
  write_file(dir / "job.yaml", sim_job(10, 4));
  write_named_items(dir / "in.jsonl", 50);
  coordinator_double coordinator;
  child_process submit(submit_args(dir, coordinator), dir.path());

  // Full: its hellos are refused twice (the second after its hello interval, 1 s).
  const std::string full =
      "too many clients: 1 are connected, the most this coordinator "
      "takes (--max-clients)";
  for (int i = 0; i < 2; ++i) {
    BOOST_TEST_REQUIRE(coordinator.receive(nodes::command::client_hello).has_value(),
                       submit.err_so_far());
    coordinator.send(nodes::refusal{nodes::command::client_hello, 0, full});
  }
  // Then a place frees: welcomed, it submits, gets credit and sends its lines.
  BOOST_TEST_REQUIRE(coordinator.receive(nodes::command::client_hello).has_value(),
                     submit.err_so_far());
  coordinator.send(nodes::welcome{5, 1000, 5000, {}});
  const auto submitted = coordinator.receive(nodes::command::submit);
  BOOST_TEST_REQUIRE(submitted.has_value(), submit.err_so_far());
  const auto batch = std::get<nodes::submit>(*submitted).batch;
  coordinator.send(nodes::credit{batch, 10});
  BOOST_TEST_REQUIRE(coordinator.receive(nodes::command::items).has_value(), submit.err_so_far());

  // The coordinator drops the batch for a limit while it runs.
  const std::string why =
      "too many batches: this client runs 1, the most this coordinator "
      "takes (--max-batches-per-client)";
  coordinator.send(nodes::refusal{nodes::command::submit, batch, why});
  const auto end = submit.wait(cluster_patience);
  BOOST_TEST_MESSAGE("submit: " << end.err);
  BOOST_TEST(end.exit_code == 2, end.err);
  BOOST_TEST(occurrences(end.err, full) == 1u, end.err);
  BOOST_TEST(end.err.find(why) != std::string::npos, end.err);
}

// A job over the string limit the coordinator's welcome announced would be dropped unread
// (too_large) and leave submit waiting for ever: submit refuses it itself, before sending it.
BOOST_AUTO_TEST_CASE(a_job_over_the_announced_limits_is_refused_before_it_is_sent) {
  temp_dir dir;
  write_file(dir / "job.yaml", sim_job(10, 4) + "# " + std::string(3000, 'x') + "\n");
  write_named_items(dir / "in.jsonl", 5);
  coordinator_double coordinator;
  child_process submit(submit_args(dir, coordinator), dir.path());
  BOOST_TEST_REQUIRE(coordinator.receive(nodes::command::client_hello).has_value(),
                     submit.err_so_far());
  nodes::welcome welcome{5, 1000, 5000, {}};
  welcome.limits.max_string_bytes = 2048;
  coordinator.send(welcome);
  const auto end = submit.wait(cluster_patience);
  BOOST_TEST_MESSAGE("submit: " << end.err);
  BOOST_TEST(end.exit_code == 2, end.err);
  BOOST_TEST(end.err.find("takes no job of ") != std::string::npos, end.err);
  BOOST_TEST(end.err.find("strings of 2048 bytes") != std::string::npos, end.err);
  BOOST_TEST(end.err.find("--max-string-bytes") != std::string::npos, end.err);
  // Nothing but hellos came.
  zmq::pollitem_t item{coordinator.router.handle(), 0, ZMQ_POLLIN, 0};
  while (zmq::poll(&item, 1, std::chrono::milliseconds(200)) > 0) {
    zmq::multipart_t message(coordinator.router);
    BOOST_TEST_REQUIRE(message.size() == 2u);
    const auto decoded = nodes::decode(message[1].to_string_view());
    BOOST_TEST_REQUIRE(decoded.has_value());
    BOOST_TEST((nodes::command_of(decoded.value()) == nodes::command::client_hello));
  }
}
