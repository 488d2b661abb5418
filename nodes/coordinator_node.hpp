#pragma once
// The coordinator process's actors around `run`'s core. For each batch a client submits it
// runs what `run` runs (a coordinator actor, a reducer, the run watch) with the client's
// stream as input (batch_input) and output (client_stream_sink); the workers are remote
// (remote_worker), each shared by the running batches in equal parts of its capacity, and a
// batch's calls go through rate limiters shared with every other batch calling the same
// endpoint. It keeps nothing a restart must recover: a client re-submits its batch and re-sends
// the items it has no line for.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/typed_actor.hpp>

#include "actors/interfaces.hpp"
#include "nodes/client_ledger.hpp"
#include "nodes/coordinator_link.hpp"
#include "nodes/frame_post.hpp"
#include "nodes/log_level.hpp"
#include "nodes/node_messages.hpp"

namespace parallm::nodes {

// joined/left/wire come from the sockets (coordinator_link, through node_events), and forget:
// a client's batch the link refused for a limit; run_end from each batch's reducer or run watch.
using coordinator_node_actor =
    caf::typed_actor<caf::reacts_to<joined_atom, std::string, worker_hello>,
                     caf::reacts_to<joined_atom, std::string, client_hello>,
                     caf::reacts_to<left_atom, std::size_t, std::string>,
                     caf::reacts_to<wire_atom, std::size_t, std::string, message>,
                     caf::reacts_to<forget_atom, std::string, std::uint64_t>,
                     caf::reacts_to<actors::run_end_atom, actors::run_report>>;

struct coordinator_node_options {
  std::uint64_t epoch = 0;
  frame_post post;
  std::function<link_snapshot()> snapshot;  // the sockets' view, for `status`
  // How long past a call's own timeout a task may stay at a worker before it is redone.
  std::chrono::milliseconds task_grace{30000};
  log_level level = log_level::info;  // joins and batches at info, lost workers at warn
  // Told of every batch started and ended, every submit taken and every credit granted, so
  // that the link checks clients against it; may be null (tests of the node alone).
  std::shared_ptr<client_ledger> ledger;
  // The most credit one batch of a client gets (--max-client-in-flight).
  std::uint32_t max_client_in_flight = 65536;
};

coordinator_node_actor spawn_coordinator_node(caf::actor_system& system,
                                              coordinator_node_options options);

// The link's events as messages to the node.
class node_events final : public coordinator_events {
 public:
  explicit node_events(coordinator_node_actor node) : node_(std::move(node)) {}
  void worker_joined(const std::string& id, const worker_hello& hello) override;
  void worker_left(const std::string& id) override;
  void from_worker(const std::string& id, message m) override;
  void client_joined(const std::string& id, const client_hello& hello) override;
  void client_left(const std::string& id) override;
  void from_client(const std::string& id, message m) override;
  void client_refused(const std::string& id, std::uint64_t batch) override;

 private:
  coordinator_node_actor node_;
};

}  // namespace parallm::nodes
