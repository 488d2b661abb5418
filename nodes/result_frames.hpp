#pragma once
// A worker's results as frames for the coordinator: many results share a frame, and no frame
// is over the receiver's wire_limits (PROTOCOL.md, "Limits"), so none of them is dropped as
// too_large on arrival, which would leave its tasks in flight until the worker is given up.
//
// An answer that cannot travel at all (a completion over max_string_bytes, or choices that
// together fill more than a frame) becomes a final failure that says so: the task's credit
// comes back and the item fails by name instead of vanishing.

#include <cstddef>
#include <string>
#include <vector>

#include "nodes/protocol.hpp"
#include "nodes/wire_messages.hpp"

namespace parallm::actors {
struct attempt_result;
}  // namespace parallm::actors

namespace parallm::nodes {

// Makes an answer too large for the wire a final failure ("answer too large for the wire:
// N bytes", N its texts' bytes), keeping its key, attempt, generation, status and tokens.
void fail_as_too_large(wire_result& r);

struct encoded_results {
  std::vector<std::string> frames;
  std::size_t too_large = 0;  // answers replaced by fail_as_too_large
};

// Encoded results frames, each within `limits` (nodes/frame_split.hpp). The answers that fit
// keep their order; those too large for any frame follow, failed.
encoded_results result_frames(std::vector<actors::attempt_result> results,
                              const wire_limits& limits = {});

}  // namespace parallm::nodes
