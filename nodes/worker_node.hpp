#pragma once
// The actors of a worker process (`parallm worker`): the node, which hands the coordinator's
// profiles and tasks to local actors::worker actors, and the result sink, which turns their
// answers into results frames for the coordinator. The worker_link on the gateway's I/O
// thread feeds the node (worker_node_listener); frames go out through a post function, the
// gateway's in the process.
//
// Several local workers share the tasks round-robin, so that one actor's mailbox is not the
// bottleneck of a process with many scheduler threads. The sink coalesces: it flushes when
// its mailbox has no more answers waiting (a flush message it sends itself queues behind
// them), so a burst shares frames and a lone answer goes out at once.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/typed_actor.hpp>

#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "nodes/announced_limits.hpp"
#include "nodes/endpoint_map.hpp"
#include "nodes/log_level.hpp"
#include "nodes/node_messages.hpp"
#include "nodes/protocol.hpp"
#include "nodes/worker_link.hpp"

namespace parallm::nodes {

// forget_atom (node_messages.hpp) alone: the coordinator restarted, so drop every batch's
// profiles (its tasks will not come again).
using worker_node_actor =
    caf::typed_actor<caf::reacts_to<actors::profiles_atom, actors::batch_profiles>,
                     caf::reacts_to<actors::tasks_atom, actors::task_batch>,
                     caf::reacts_to<forget_atom>>;

// Thread-safe counts for logs and status.
struct worker_node_counters {
  std::atomic<std::uint64_t> results{0};    // answers sent to the coordinator
  std::atomic<std::uint64_t> frames{0};     // results frames posted
  std::atomic<std::uint64_t> too_large{0};  // answers replaced by a failure to fit the wire
  std::atomic<std::uint64_t> http_engines{0};
};

struct worker_node_options {
  std::size_t workers = 1;      // local actors::worker actors
  std::uint32_t capacity = 64;  // calls in flight at once: sizes the HTTP connections
  std::vector<endpoint_rewrite> endpoint_map;
  // The coordinator's, from its welcome (the worker link keeps them): results frames stay
  // within them.
  std::shared_ptr<const announced_limits> limits = std::make_shared<announced_limits>();
  // Sends one frame to the coordinator; called from actor threads.
  std::function<void(std::string frame)> post;
  std::shared_ptr<worker_node_counters> counters = std::make_shared<worker_node_counters>();
};

// The sink on its own, for tests: what it posts are results frames.
actors::result_sink_actor spawn_result_sink(caf::actor_system& system,
                                            const worker_node_options& options);

// The node with its sink and workers, which end with it. The HTTP engine is made when the
// first profile that is not sim arrives.
worker_node_actor spawn_worker_node(caf::actor_system& system, worker_node_options options);

// The link's listener that feeds the node, with a log line on stderr for each change of the
// connection ("parallm worker NAME: joined coordinator at EP (epoch E)"): joins at info,
// losses and restarts at warn.
class worker_node_listener final : public worker_link_listener {
 public:
  worker_node_listener(std::string name, std::string endpoint, log_level level);
  // Before the gateway starts, which is what calls the listener.
  void attach(worker_node_actor node) { node_ = std::move(node); }
  void on_profiles(actors::batch_profiles profiles) override;
  void on_tasks(actors::task_batch tasks) override;
  void on_coordinator_restarted() override;
  void on_joined(const welcome& w, bool again) override;
  void on_lost() override;

 private:
  worker_node_actor node_;
  std::string name_;
  std::string endpoint_;
  log_level level_;
};

}  // namespace parallm::nodes
