#pragma once
// The wire limits a coordinator announces in its welcome, which its workers and clients keep to
// when they split the frames they send it (PROTOCOL.md, "Limits"). A coordinator started with
// --max-frame-bytes 1 MiB would otherwise drop as too_large every frame its peers made to the
// defaults, and their results and input lines would never arrive.

#include <atomic>
#include <cstdint>

#include "nodes/protocol.hpp"

namespace parallm::nodes {

// The least a coordinator may announce (the floors of its flags), so that a welcome cannot
// make a peer split into frames of a few bytes; anything above the defaults is taken as the
// defaults, which every coordinator of this version accepts.
inline constexpr wire_limits least_announced_limits{.max_frame_bytes = 64u << 10,
                                                    .max_items = 16,
                                                    .max_string_bytes = 1u << 10,
                                                    .max_values = 1u << 12};

// Each of `announced` brought within [least_announced_limits, wire_limits{}].
wire_limits sane_announced(const wire_limits& announced);

// Written on the link's I/O thread at each welcome, read by whatever encodes frames for the
// coordinator (an actor's thread). Until a welcome: the defaults.
class announced_limits {
 public:
  void set(const wire_limits& limits);
  wire_limits get() const;

 private:
  std::atomic<std::uint64_t> frame_bytes_{wire_limits{}.max_frame_bytes};
  std::atomic<std::uint32_t> items_{wire_limits{}.max_items};
  std::atomic<std::uint32_t> string_bytes_{wire_limits{}.max_string_bytes};
  std::atomic<std::uint64_t> values_{wire_limits{}.max_values};
};

}  // namespace parallm::nodes
