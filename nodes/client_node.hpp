#pragma once
// `submit`'s actor: the client that holds the truth of a batch. It reads the input (the same
// reader as `run`), submits the job, sends items only against the credit the coordinator
// grants, writes each line it gets back exactly once (the same writer as `run`: --ordered,
// --resume), and counts the summary from the lines. Every item sent stays here until its line
// is written: when the coordinator restarted or lost this client, the client submits again
// and sends every such item again, and a line for an item already written is dropped.

#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/typed_actor.hpp>

#include "actors/interfaces.hpp"
#include "batch/output_writer.hpp"
#include "nodes/announced_limits.hpp"
#include "nodes/dealer_link.hpp"
#include "nodes/frame_post.hpp"
#include "nodes/node_messages.hpp"

namespace parallm::nodes {

// joined: welcomed by the coordinator of that epoch; left: the coordinator went silent.
// Tells the user on stderr when the coordinator does not answer, is lost and is back.
using client_node_actor =
    caf::typed_actor<caf::reacts_to<joined_atom, std::uint64_t>, caf::reacts_to<left_atom>,
                     caf::reacts_to<wire_atom, message>, caf::reacts_to<actors::stop_atom>>;

struct client_node_options {
  frame_post post;
  std::string coordinator;      // its endpoint, for messages
  actors::reader_actor reader;  // with keep_text
  std::shared_ptr<batch::output_writer> writer;
  submit job;  // batch, job path and text, overrides, formats, nonce
  bool progress = false;
  std::uint64_t progress_total = 0;
  // The coordinator's, from its welcome (the link's dealer_settings::announced): item frames
  // are split to them.
  std::shared_ptr<const announced_limits> limits = std::make_shared<announced_limits>();
  actors::run_end_actor done;  // gets the run_report when the batch ended
  // Set before the report is sent when the coordinator refused the job (a usage error).
  std::shared_ptr<bool> job_refused = std::make_shared<bool>(false);
};

client_node_actor spawn_client_node(caf::actor_system& system, client_node_options options);

// The link's events as messages to the client node.
class client_events final : public dealer_events {
 public:
  explicit client_events(client_node_actor node) : node_(std::move(node)) {}
  // Every welcome is a new session (a restart too): the node re-submits and re-sends.
  void welcomed(const welcome& w, bool restarted) override;
  void lost() override;
  void received(message m) override;

 private:
  client_node_actor node_;
};

}  // namespace parallm::nodes
