#define BOOST_TEST_MODULE remote_worker
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/messages.hpp"
#include "nodes/remote_worker.hpp"
#include "nodes/wire_codec.hpp"

// The coordinator's proxy for one worker process: what it posts to the worker's routing id.

using namespace parallm;
using namespace parallm::nodes;
using namespace std::chrono_literals;

namespace {

struct posted_frames {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<message> messages;
  std::size_t undecodable = 0;

  // On an actor's thread: no Boost.Test checks here.
  void post(const std::string& frame) {
    auto m = decode(frame);
    std::lock_guard lock(mutex);
    if (m) {
      messages.push_back(std::move(m.value()));
    } else {
      ++undecodable;
    }
    changed.notify_all();
  }

  // Waits (generously) until an empty batch_profiles of `batch` came; everything posted so far.
  std::vector<message> until_forgotten(std::uint64_t batch) {
    std::unique_lock lock(mutex);
    changed.wait_for(lock, 30s, [&] {
      for (const auto& m : messages) {
        const auto* p = std::get_if<batch_profiles>(&m);
        if (p && p->batch == batch && p->profiles.empty()) return true;
      }
      return false;
    });
    return messages;
  }
};

actors::task_batch tasks(std::uint64_t batch, std::uint64_t first, std::uint64_t count) {
  actors::task_batch b;
  for (auto c = first; c < first + count; ++c) {
    actors::task t;
    t.key = {7, batch, c};
    t.prompt = "prompt " + std::to_string(c);
    b.tasks.push_back(std::move(t));
  }
  return b;
}

}  // namespace

BOOST_AUTO_TEST_CASE(late_tasks_of_a_forgotten_batch_stay_home_and_spoil_no_frame) {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system system{cfg};
  auto posted = std::make_shared<posted_frames>();
  auto sent = std::make_shared<std::atomic<std::uint64_t>>(0);
  remote_worker_options options;
  options.post = [posted](std::size_t, std::string, std::string frame) { posted->post(frame); };
  options.routing_id = "w:test";
  options.tasks_sent = sent;
  const auto proxy = spawn_remote_worker(system, options);

  caf::scoped_actor self{system};
  // Batch 1's tasks before it is forgotten go out ahead of the forgetting.
  self->send(proxy, actors::tasks_atom::value, tasks(1, 1, 2));
  self->send(proxy, forget_atom::value, std::uint64_t{1});
  // A cancelled batch's coordinator may still send some; a running batch's go with them.
  auto mixed = tasks(1, 3, 2);
  for (auto& t : tasks(2, 10, 5).tasks) mixed.tasks.push_back(std::move(t));
  self->send(proxy, actors::tasks_atom::value, std::move(mixed));
  self->send(proxy, actors::tasks_atom::value, tasks(1, 5, 3));
  self->send(proxy, actors::tasks_atom::value, tasks(2, 15, 5));
  // A marker: one sender's messages arrive in order, so everything above was handled.
  self->send(proxy, forget_atom::value, std::uint64_t{99});
  const auto messages = posted->until_forgotten(99);
  BOOST_TEST(posted->undecodable == 0u);

  bool forgot_1 = false;
  std::vector<std::uint64_t> batch_1, batch_2;
  for (const auto& m : messages) {
    if (const auto* p = std::get_if<batch_profiles>(&m)) {
      forgot_1 = forgot_1 || p->batch == 1;
      continue;
    }
    const auto* f = std::get_if<task_frame>(&m);
    BOOST_TEST_REQUIRE(f != nullptr);
    for (const auto& t : f->tasks) {
      BOOST_TEST((t.key.batch == 1 || t.key.batch == 2));
      // A frame that carries a task of batch 1 was sent before batch 1 was forgotten.
      if (t.key.batch == 1) BOOST_TEST(!forgot_1, "task " << t.key.counter << " after forget");
      (t.key.batch == 1 ? batch_1 : batch_2).push_back(t.key.counter);
    }
  }
  BOOST_TEST(forgot_1);
  BOOST_TEST(batch_1 == (std::vector<std::uint64_t>{1, 2}), boost::test_tools::per_element());
  BOOST_TEST(batch_2 == (std::vector<std::uint64_t>{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}),
             boost::test_tools::per_element());
  BOOST_TEST(sent->load() == 12u);
  self->send_exit(proxy, caf::exit_reason::user_shutdown);
}
