#pragma once
// A task's identity, shared by the actors and the wire (nodes/wire_messages.hpp) so that the two
// cannot drift apart. It has no CAF in it: code that only moves tasks across the wire does not
// pay for CAF's headers.

#include <cstdint>

namespace parallm::actors {

// A task's identity for as long as a coordinator lives, and after: the epoch is drawn at
// random each time a coordinator starts, so an answer to a task of an earlier coordinator (one
// that restarted) or of another batch can never be taken for one of this batch's tasks.
// Counters start at 1 within a batch.
struct task_key {
  std::uint64_t epoch = 0;
  std::uint64_t batch = 0;
  std::uint64_t counter = 0;
  friend bool operator==(const task_key&, const task_key&) = default;
};

}  // namespace parallm::actors
