#pragma once
// The input of a batch a client submitted, on the coordinator: it takes the client's item
// frames, grants the client credit for as many items as it has room for, and hands items to
// the batch's coordinator actor as `run`'s input reader does. The client already read the
// lines, skipped what --resume found done and found the bad ones (their error travels with
// them), so this only parses each line's JSON again for its fields.

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

using batch_input_actor =
    actors::reader_actor::extend<caf::reacts_to<actors::items_atom, item_frame>>;

struct batch_input_options {
  frame_post post;
  std::string client;  // its routing id on the clients socket
  std::uint64_t client_batch = 0;
  // Items held here at most, waiting for the coordinator actor to ask: the credit the client
  // gets at the start, and gets back as items move on.
  std::uint32_t room = 1024;
  // Items received so far and whether the input ended, for `status`; shared with the node.
  std::shared_ptr<std::atomic<std::uint64_t>> received;
  std::shared_ptr<std::atomic<bool>> ended;
  // Told of every credit granted, before the client is (the node's client_ledger); may be empty.
  std::function<void(std::uint64_t)> granted;
};

batch_input_actor spawn_batch_input(caf::actor_system& system, batch_input_options options);

}  // namespace parallm::nodes
