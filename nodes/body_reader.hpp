#pragma once
// Reads a message's body out of an unpacked msgpack value, checking every field's type and
// range as it goes: false, and nothing thrown, for any body that is not the command's shape.

#include <msgpack.hpp>

#include "nodes/protocol.hpp"
#include "nodes/wire_messages.hpp"

namespace parallm::nodes {

bool read_body(const msgpack::object& body, command c, message& out);

}  // namespace parallm::nodes
