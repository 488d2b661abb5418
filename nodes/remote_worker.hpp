#pragma once
// A worker process as the coordinator's actors see it: a worker_actor whose tasks and call
// profiles go out as frames to that worker's routing id. Tasks that arrive while the proxy is
// busy share a frame: it sends when its mailbox runs dry, so a burst goes out in few frames and
// a lone task goes at once. Every batch coordinator sends to the same proxy; their shares of
// the worker's capacity (the coordinator node's business) keep the sum within its credit.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>

#include "actors/interfaces.hpp"
#include "nodes/frame_post.hpp"
#include "nodes/node_messages.hpp"

namespace parallm::nodes {

// forget: a batch ended; the worker drops its profiles (an empty batch_profiles frame).
using remote_worker_actor =
    actors::worker_actor::extend<caf::reacts_to<forget_atom, std::uint64_t>>;

struct remote_worker_options {
  frame_post post;
  std::string routing_id;
  wire_limits limits;                                      // the worker's, for splitting frames
  std::shared_ptr<std::atomic<std::uint64_t>> tasks_sent;  // for `status`
  // Where the answers to tasks too large for any frame go, as if the worker had failed them.
  std::function<void(actors::result_batch)> refused;
};

remote_worker_actor spawn_remote_worker(caf::actor_system& system, remote_worker_options options);

}  // namespace parallm::nodes
