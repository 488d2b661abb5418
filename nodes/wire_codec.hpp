#pragma once
// Messages to frames and back. Decoding takes bytes straight from the network: it never
// throws and never asserts, and a frame it refuses says why, so the receiver can drop and
// count it (PROTOCOL.md, "Frames that fail").

#include <cstddef>
#include <string>
#include <string_view>

#include "nodes/protocol.hpp"
#include "nodes/value_or_error.hpp"
#include "nodes/wire_messages.hpp"

namespace parallm::nodes {

enum class decode_error {
  too_large,        // the frame, a list, a string, the nesting or the value count is over a limit
  malformed,        // not one complete msgpack value of the shape [version, command, body]
  unknown_version,  // another protocol_version
  unknown_command,
  wrong_shape,  // the body does not hold the command's fields with their types and ranges
};
inline constexpr std::size_t decode_error_count = 5;

std::string_view to_string(decode_error e);

// A decoded message or why there is none.
using decode_result = value_or_error<message, decode_error>;

// One frame. It is the sender's job to keep frames within the receiver's wire_limits (split
// long lists over several frames); encode does not check them. size_hint: the bytes the body
// is expected to take (frame_split knows), reserved up front so packing does not regrow.
std::string encode(const message& m, std::size_t size_hint = 0);

decode_result decode(std::string_view frame, const wire_limits& limits = {});

}  // namespace parallm::nodes
