#pragma once
// Packs a message's body as PROTOCOL.md lays it out: every struct is an array of its fields
// in a fixed order, optional values are nil when absent.

#include <msgpack.hpp>

#include "nodes/frame_buffer.hpp"
#include "nodes/wire_messages.hpp"

namespace parallm::nodes {

void write_body(msgpack::packer<frame_buffer>& pk, const message& m);

}  // namespace parallm::nodes
