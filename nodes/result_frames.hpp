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

namespace parallm::actors {
struct attempt_result;
}  // namespace parallm::actors

namespace parallm::nodes {

// The bytes of text an answer carries (its completions, error and finish reason).
std::size_t text_bytes(const actors::attempt_result& r);

// Replaces an answer too large for any frame by a final failure ("answer too large for the
// wire: N bytes"). True when it did.
bool fit_to_wire(actors::attempt_result& r, const wire_limits& limits);

// Encoded results frames, each within `limits`, in the order of `results`. Answers too large
// for the wire are replaced first (fit_to_wire).
std::vector<std::string> result_frames(std::vector<actors::attempt_result> results,
                                       const wire_limits& limits = {});

}  // namespace parallm::nodes
