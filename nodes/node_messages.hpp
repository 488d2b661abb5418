#pragma once
// The wire's structs as in-process messages, between the gateway's handlers and the actors of
// a node. They never leave the process as CAF messages (the wire carries them as msgpack), so
// they are allowed as unsafe message types.

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include "nodes/wire_messages.hpp"

namespace parallm::nodes {

using joined_atom = caf::atom_constant<caf::atom("joined")>;
using left_atom = caf::atom_constant<caf::atom("left")>;
using wire_atom = caf::atom_constant<caf::atom("wire")>;
using forget_atom = caf::atom_constant<caf::atom("forget")>;

}  // namespace parallm::nodes

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parallm::nodes::message)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parallm::nodes::worker_hello)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parallm::nodes::client_hello)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parallm::nodes::item_frame)
