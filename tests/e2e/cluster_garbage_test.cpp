#define BOOST_TEST_MODULE e2e_cluster_garbage
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "cluster.hpp"
#include "nodes/wire_codec.hpp"

// Frames no correct peer sends, thrown at the real processes: at both of a running
// coordinator's sockets while a batch runs, and at a real worker by a test that plays its
// coordinator. Nothing stops, the work goes on, and every frame is counted by why it was dropped.

using namespace parallm;
using namespace parallm::test;
using nlohmann::json;

namespace {

using parts = std::vector<std::string>;

// Frames of one kind of garbage, and the reason a receiver drops each for.
struct garbage {
  std::string what;
  std::vector<parts> messages;
  std::string reason;
};

// Bytes that start with 0xc1, which msgpack never uses, so they are malformed whatever follows.
std::string noise(std::mt19937& random, std::size_t n) {
  std::string bytes(1, '\xc1');
  for (std::size_t i = 1; i < n; ++i) bytes += static_cast<char>(random() & 0xff);
  return bytes;
}

// A results frame with one answer of 17 MiB: over the 16 MiB any frame may have, under the
// 64 MiB at which ZeroMQ would drop the connection.
std::string oversized_frame() {
  nodes::wire_result r;
  r.key = {1, 1, 1};
  r.outcome.text = std::string(17u << 20, 'x');
  return nodes::encode(nodes::result_frame{{r}});
}

std::string other_version() {
  auto frame = nodes::encode(nodes::heartbeat{0});
  frame[1] = '\x07';  // [version, ...]: a fixarray byte, then the version as a positive fixint
  return frame;
}

nodes::wire_result some_result(std::uint64_t counter) {
  nodes::wire_result r;
  r.key = {1, 1, counter};
  r.outcome.text = "an answer nobody asked for";
  return r;
}

// The kinds every receiver drops the same way, sent `rounds` times each.
std::vector<garbage> common_garbage(int rounds) {
  std::mt19937 random(7);
  std::vector<garbage> g;
  g.push_back({"random bytes", {}, "malformed"});
  g.push_back({"a truncated frame", {}, "malformed"});
  g.push_back({"a message of two parts", {}, "malformed"});
  g.push_back({"an empty frame", {}, "malformed"});
  g.push_back({"another protocol version", {}, "unknown_version"});
  g.push_back({"an unknown command", {}, "unknown_command"});
  g.push_back({"a heartbeat whose body is text", {}, "wrong_shape"});
  for (int i = 0; i < rounds; ++i) {
    g[0].messages.push_back({noise(random, 100 + 50 * i)});
    const auto whole = nodes::encode(nodes::worker_hello{"half", "a-host", 4});
    g[1].messages.push_back({whole.substr(0, whole.size() - 3 - i)});
    g[2].messages.push_back(
        {nodes::encode(nodes::heartbeat{0}), nodes::encode(nodes::heartbeat{0})});
    g[3].messages.push_back({std::string()});
    g[4].messages.push_back({other_version()});
    // [V, 99, []] and [V, 3, ["x"]], V this version (a positive fixint).
    const char v = static_cast<char>(nodes::protocol_version);
    g[5].messages.push_back({std::string{'\x93', v, '\x63', '\x90'}});
    g[6].messages.push_back({std::string{'\x93', v, '\x03', '\x91', '\xa1', 'x'}});
  }
  g.push_back({"an oversized frame", {{oversized_frame()}}, "too_large"});
  return g;
}

// What only a coordinator's socket drops: a valid frame from a peer that never said hello, and
// one that the socket's kind of peer never sends.
std::vector<garbage> coordinator_garbage(bool workers_socket, int rounds) {
  auto g = common_garbage(rounds);
  garbage unknown{"a valid frame before any hello", {}, "not_hello"};
  garbage wrong_side{"a command of the other kind of peer", {}, "wrong_side"};
  for (int i = 0; i < rounds; ++i) {
    const auto results = nodes::encode(nodes::result_frame{{some_result(5 + i)}});
    nodes::item_frame items;
    items.batch = 1;
    items.items.push_back({0, 1, R"({"id": "intruder", "n": 1})", ""});
    const auto item_text = nodes::encode(items);
    unknown.messages.push_back({workers_socket ? results : item_text});
    wrong_side.messages.push_back({workers_socket ? item_text : results});
  }
  g.push_back(unknown);
  g.push_back(wrong_side);
  return g;
}

// A DEALER the test drives by hand.
struct raw_dealer {
  raw_dealer(zmq::context_t& context, const std::string& endpoint)
      : socket(context, zmq::socket_type::dealer) {
    socket.set(zmq::sockopt::linger, 0);
    socket.connect(endpoint);
  }
  void send(const parts& message) {
    zmq::multipart_t m;
    for (const auto& p : message) m.addstr(p);
    m.send(socket);
  }
  zmq::socket_t socket;
};

std::uint64_t counter(const json& status, const std::string& name) {
  return status.at("counters").at(name).get<std::uint64_t>();
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_coordinator_counts_garbage_on_both_sockets_and_the_batch_completes) {
  constexpr int items = 1500;
  constexpr int rounds = 3;
  temp_dir dir;
  write_file(dir / "job.yaml", sim_job(50, 8));
  write_named_items(dir / "in.jsonl", items);
  cluster nodes(dir);
  nodes.start_coordinator();
  for (const auto* name : {"w1", "w2", "w3"}) nodes.add_worker(name, 8);
  const auto out = dir / "out.jsonl";
  child_process submit(nodes.submit_args({(dir / "job.yaml").string(), "--input",
                                          (dir / "in.jsonl").string(), "--output", out.string()}),
                       dir.path());
  BOOST_TEST_REQUIRE(wait_until([&] { return count_lines(out) >= 50; }),
                     "no lines came; coordinator: " << nodes.coordinator_log());

  zmq::context_t context;
  raw_dealer at_workers(context, nodes.endpoints().workers);
  raw_dealer at_clients(context, nodes.endpoints().clients);
  const auto for_workers = coordinator_garbage(true, rounds);
  const auto for_clients = coordinator_garbage(false, rounds);
  for (const auto& g : for_workers)
    for (const auto& m : g.messages) at_workers.send(m);
  for (const auto& g : for_clients)
    for (const auto& m : g.messages) at_clients.send(m);
  const auto after_garbage = count_lines(out);
  BOOST_TEST_MESSAGE("garbage sent with " << after_garbage << " of " << items << " lines written");
  BOOST_TEST(after_garbage < static_cast<std::size_t>(items), "the batch ended before the garbage");

  const auto end = submit.wait(std::chrono::seconds(90));
  BOOST_TEST(end.exit_code == 0, end.err);
  const auto lines = read_jsonl(out);
  BOOST_TEST(lines.size() == static_cast<std::size_t>(items));
  std::set<std::string> ids;
  for (const auto& line : lines) {
    ids.insert(id_key(line));
    BOOST_TEST(line.at("status") == "ok", line.dump());
  }
  BOOST_TEST(ids.size() == static_cast<std::size_t>(items));
  BOOST_TEST(ids.count("intruder") == 0u);

  // What the coordinator counted, per socket and reason. Only not_hello may also count frames
  // of real peers (a worker taken for dead on a slow machine); nothing else of theirs is ever
  // dropped, so the other counts are exactly the test's.
  std::map<std::string, std::uint64_t> expected;
  for (const auto& [socket, sent] : {std::pair{"workers", &for_workers}, {"clients", &for_clients}})
    for (const auto& g : *sent)
      expected[std::string(socket) + ".dropped." + g.reason] += g.messages.size();
  json status;
  const bool counted = wait_until([&] {
    status = nodes.status();
    for (const auto& [name, n] : expected)
      if (counter(status, name) < n) return false;
    return true;
  });
  BOOST_TEST(counted, status.dump());
  BOOST_TEST_MESSAGE("counters: " << status.at("counters").dump());
  for (const auto& [name, n] : expected) {
    if (name.ends_with(".not_hello")) {
      BOOST_TEST(counter(status, name) >= n, name);
    } else {
      BOOST_TEST(counter(status, name) == n, name);
    }
  }
  // All three workers are still there and did the work; the coordinator still answers.
  BOOST_TEST_REQUIRE(status.at("workers").size() == 3u, status.dump());
  std::uint64_t done = 0;
  for (const auto& w : status.at("workers")) done += w.at("done").get<std::uint64_t>();
  BOOST_TEST(done >= static_cast<std::uint64_t>(items));
  const auto stopped = nodes.stop_coordinator();
  BOOST_TEST(stopped.exit_code == 0, stopped.err);
  BOOST_TEST(stopped.err.find("frames dropped so far") != std::string::npos, stopped.err);
}

namespace {

// The test as a worker's coordinator: a ROUTER it binds, which the real worker connects to.
struct coordinator_double {
  coordinator_double() {
    router.set(zmq::sockopt::linger, 0);
    router.bind("tcp://127.0.0.1:*");
    endpoint = router.get(zmq::sockopt::last_endpoint);
  }

  // The next frame from the worker, decoded; nullopt when none comes within `limit`.
  std::optional<nodes::message> receive(std::chrono::milliseconds limit = cluster_patience) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(50));
      if (!(item.revents & ZMQ_POLLIN)) continue;
      zmq::multipart_t message(router);
      BOOST_TEST_REQUIRE(message.size() == 2u, "a worker's message is its id and one frame");
      worker_id = message[0].to_string();
      auto decoded = nodes::decode(message[1].to_string_view());
      BOOST_TEST_REQUIRE(decoded.has_value(), "the worker sent a frame that does not decode");
      return std::move(decoded.value());
    }
    return std::nullopt;
  }

  void send(const parts& message) {
    zmq::multipart_t m;
    m.addstr(worker_id);
    for (const auto& p : message) m.addstr(p);
    m.send(router);
  }
  void send(const nodes::message& m) { send(parts{nodes::encode(m)}); }

  zmq::context_t context;
  zmq::socket_t router{context, zmq::socket_type::router};
  std::string endpoint;
  std::string worker_id;
};

nodes::call_profile sim_profile() {
  nodes::call_profile p;
  p.endpoint.kind = config::provider_kind::sim;
  p.endpoint.sim.choices = {"yes"};
  p.endpoint.sim.latency_ms = 5;
  return p;
}

nodes::task_frame tasks(std::uint64_t epoch, std::uint64_t first, std::uint64_t n) {
  nodes::task_frame f;
  for (auto c = first; c < first + n; ++c) {
    nodes::wire_task t;
    t.key = {epoch, 1, c};
    t.prompt = "question " + std::to_string(c);
    f.tasks.push_back(t);
  }
  return f;
}

// The counters of the results that come within `limit`, each once per arrival.
std::multiset<std::uint64_t> results(coordinator_double& coordinator, std::size_t until,
                                     std::chrono::milliseconds limit) {
  std::multiset<std::uint64_t> got;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (got.size() < until && std::chrono::steady_clock::now() < deadline) {
    const auto m = coordinator.receive(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (!m) break;
    if (const auto* r = std::get_if<nodes::result_frame>(&*m)) {
      for (const auto& one : r->results) {
        BOOST_TEST((one.outcome.kind == providers::outcome_kind::ok), one.outcome.error);
        got.insert(one.key.counter);
      }
    }
  }
  return got;
}

}  // namespace

// tests/nodes/worker_process_test.cpp throws undecodable and wrong-side frames at a welcomed
// worker; this adds what comes before the welcome, oversized frames and multipart messages.
BOOST_AUTO_TEST_CASE(a_worker_drops_garbage_and_work_before_its_welcome_and_answers_after) {
  constexpr std::uint64_t epoch = 77;
  coordinator_double coordinator;
  temp_dir dir;
  child_process worker(parallm_args({"worker", "--connect", coordinator.endpoint, "--name",
                                     "target", "--concurrency", "16", "--heartbeat-ms", "200"}),
                       dir.path());
  std::optional<nodes::message> hello;
  while ((hello = coordinator.receive()) &&
         nodes::command_of(*hello) != nodes::command::worker_hello) {
  }
  BOOST_TEST_REQUIRE(hello.has_value(), "no hello; worker: " << worker.err_so_far());

  // Before the welcome: garbage of every kind, and a batch's profiles and tasks, which belong
  // to no session of this worker's and must not run.
  std::map<std::string, std::size_t> dropped;
  for (const auto& g : common_garbage(2)) {
    for (const auto& m : g.messages) coordinator.send(m), ++dropped[g.reason];
  }
  coordinator.send(nodes::batch_profiles{1, {sim_profile()}});
  coordinator.send(tasks(epoch, 1000, 5));
  dropped["not_hello"] += 2;
  // A heartbeat is taken before a welcome (it is how a worker hears the coordinator's epoch).
  coordinator.send(nodes::heartbeat{0});

  coordinator.send(nodes::welcome{epoch, 200, 60000, {}});
  coordinator.send(nodes::batch_profiles{1, {sim_profile()}});
  coordinator.send(tasks(epoch, 1, 20));
  // And garbage again between tasks.
  for (const auto& g : common_garbage(1)) {
    for (const auto& m : g.messages) coordinator.send(m), ++dropped[g.reason];
  }
  coordinator.send(tasks(epoch, 21, 20));

  auto got = results(coordinator, 40, cluster_patience);
  // A moment more, for any answer to the tasks sent before the welcome.
  const auto late = results(coordinator, 1, std::chrono::milliseconds(500));
  got.insert(late.begin(), late.end());
  BOOST_TEST(got.size() == 40u, "worker: " << worker.err_so_far());
  for (std::uint64_t c = 1; c <= 40; ++c) BOOST_TEST(got.count(c) == 1u, "task " << c);
  for (std::uint64_t c = 1000; c < 1005; ++c) BOOST_TEST(got.count(c) == 0u, "task " << c);

  worker.signal(SIGTERM);
  const auto end = worker.wait(std::chrono::seconds(20));
  BOOST_TEST_MESSAGE("worker: " << end.err);
  BOOST_TEST(end.exit_code == 0, end.err);
  BOOST_TEST(end.err.find("stopped: 40 tasks, 40 results") != std::string::npos, end.err);
  // The closing line counts the drops by reason, in the order of nodes::drop_reason.
  std::size_t total = 0;
  std::string reasons;
  for (const auto* reason : {"too_large", "malformed", "unknown_version", "unknown_command",
                             "wrong_shape", "not_hello", "wrong_side"}) {
    if (dropped[reason] == 0) continue;
    total += dropped[reason];
    reasons +=
        (reasons.empty() ? "" : ", ") + std::string(reason) + " " + std::to_string(dropped[reason]);
  }
  const auto expected = ", " + std::to_string(total) + " frames dropped (" + reasons + ")";
  BOOST_TEST(end.err.find(expected) != std::string::npos,
             "expected " << expected << ": " << end.err);
}
