#define BOOST_TEST_MODULE coordinator_node
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include "nodes/coordinator_node.hpp"
#include "nodes/wire_codec.hpp"

// The coordinator's node actor without sockets: the test plays the link (its messages), a
// client and a worker (the frames posted to their routing ids).

using namespace parallm;
using namespace parallm::nodes;
using namespace std::chrono_literals;

namespace {

struct posted_frame {
  std::size_t socket = 0;
  std::string to;
  message m;
};

struct posted_frames {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<posted_frame> frames;

  // On an actor's thread: no Boost.Test checks here.
  void post(std::size_t socket, std::string to, const std::string& frame) {
    auto m = decode(frame);
    if (!m) return;
    std::lock_guard lock(mutex);
    frames.push_back({socket, std::move(to), std::move(m.value())});
    changed.notify_all();
  }

  // Waits (generously) for the next frame of type T to `to`, looking from `seen` on.
  template <class T>
  std::optional<T> next(const std::string& to, std::size_t& seen) {
    std::unique_lock lock(mutex);
    std::optional<T> found;
    changed.wait_for(lock, 30s, [&] {
      for (; seen < frames.size() && !found; ++seen) {
        if (frames[seen].to != to) continue;
        if (const auto* v = std::get_if<T>(&frames[seen].m)) found = *v;
      }
      return found.has_value();
    });
    return found;
  }
};

const char* const job_text =
    "version: 1\nname: t\nprovider: {kind: sim}\nnodes:\n  a: {prompt: \"say {{n}}\"}\n"
    "output: a\n";

result_frame answers(const task_frame& tasks) {
  result_frame out;
  for (const auto& t : tasks.tasks) {
    wire_result r;
    r.key = t.key;
    r.attempt = t.attempt;
    r.generation = t.generation;
    r.outcome.text = "answer to " + t.prompt;
    out.results.push_back(std::move(r));
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_batch_runs_on_a_worker_that_joins_later_and_late_answers_count_for_none) {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system system{cfg};
  auto posted = std::make_shared<posted_frames>();
  coordinator_node_options options;
  options.epoch = 7;
  options.post = [posted](std::size_t socket, std::string to, std::string frame) {
    posted->post(socket, std::move(to), frame);
  };
  options.level = log_level::error;
  const auto node = spawn_coordinator_node(system, options);

  std::size_t at_client = 0;
  std::size_t at_worker = 0;
  caf::anon_send(node, joined_atom::value, std::string("c"), client_hello{"client-1", "laptop"});
  caf::anon_send(node, wire_atom::value, clients_socket, std::string("c"),
                 message{submit{3, "/jobs/t.yaml", job_text, {}, false, false, 1}});
  const auto credit_given = posted->next<credit>("c", at_client);
  BOOST_TEST_REQUIRE(credit_given.has_value());
  BOOST_TEST(credit_given->batch == 3u);
  BOOST_TEST(credit_given->count > 0u);
  caf::anon_send(node, wire_atom::value, clients_socket, std::string("c"),
                 message{item_frame{3,
                                    {input_line{0, 1, R"({"id":"a","n":1})", ""},
                                     input_line{1, 2, R"({"id":"b","n":2})", ""}},
                                    true,
                                    0}});

  // No worker yet: the tasks wait for one.
  caf::anon_send(node, joined_atom::value, std::string("w"), worker_hello{"w1", "gpu", 4});
  const auto profiles = posted->next<batch_profiles>("w", at_worker);
  BOOST_TEST_REQUIRE(profiles.has_value());
  BOOST_TEST(profiles->profiles.size() == 1u);
  const auto tasks = posted->next<task_frame>("w", at_worker);
  BOOST_TEST_REQUIRE(tasks.has_value());
  BOOST_TEST(tasks->tasks.size() == 2u);
  BOOST_TEST(tasks->tasks[0].key.epoch == 7u);
  const auto late = answers(*tasks);
  caf::anon_send(node, wire_atom::value, workers_socket, std::string("w"), message{late});

  std::size_t lines = 0;
  std::size_t seen_lines = at_client;
  while (lines < 2) {
    const auto frame = posted->next<line_frame>("c", seen_lines);
    BOOST_TEST_REQUIRE(frame.has_value());
    BOOST_TEST(frame->batch == 3u);
    lines += frame->lines.size();
  }
  BOOST_TEST(lines == 2u);
  const auto done = posted->next<batch_done>("c", at_client);
  BOOST_TEST_REQUIRE(done.has_value());
  BOOST_TEST(done->batch == 3u);
  BOOST_TEST(done->ok == 2u);
  BOOST_TEST(done->error.empty());

  // The worker is taken for gone; answers the link passed on before that count for nobody.
  caf::anon_send(node, left_atom::value, workers_socket, std::string("w"));
  caf::anon_send(node, wire_atom::value, workers_socket, std::string("w"), message{late});
  caf::anon_send(node, wire_atom::value, clients_socket, std::string("c"),
                 message{status_request{}});
  const auto status = posted->next<status_reply>("c", at_client);
  BOOST_TEST_REQUIRE(status.has_value());
  BOOST_TEST(status->workers.empty());
  BOOST_TEST(status->batches.empty());
  std::uint64_t stray = 0;
  for (const auto& c : status->counters) {
    if (c.name == "results.stray") stray = c.value;
  }
  BOOST_TEST(stray == 2u);
  caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
}
