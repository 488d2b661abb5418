#pragma once
// A first pass over a frame's bytes that allocates nothing: it checks the frame is one complete
// msgpack value within wire_limits before msgpack::unpack builds it, because unpack allocates
// each array's elements as soon as it reads the array's declared size.

#include <cstdint>
#include <optional>
#include <string_view>

#include "nodes/protocol.hpp"
#include "nodes/wire_codec.hpp"

namespace parallm::nodes {

// The longest array a frame may hold: a list within max_items, or any struct's fields.
std::uint32_t max_array_size(const wire_limits& limits);

// too_large, malformed (not exactly one complete value), or nullopt when unpack may go ahead.
std::optional<decode_error> scan_frame(std::string_view frame, const wire_limits& limits);

}  // namespace parallm::nodes
