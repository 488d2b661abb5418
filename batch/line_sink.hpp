#pragma once
// Where a run's result lines go: the output file for `run`, the client's stream for `submit`.
// The reducer settles items and hands their lines here; it never knows which it is.

#include <cstddef>
#include <cstdint>
#include <string>

#include "batch/line_facts.hpp"

namespace parallm::batch {

class line_sink {
 public:
  virtual ~line_sink() = default;

  // Takes one item's line (no "\n"). seq numbers the admitted items 0, 1, 2, ... in input
  // order. Returns how many lines this call released downstream, so that the caller frees
  // that many window slots; a sink that keeps input order returns 0 while a gap remains.
  // After an error lines are still counted as released, so the caller never stalls.
  // facts: the item's status, tokens and latency, for a sink that reports them without
  // parsing the line.
  virtual std::size_t emit(std::uint64_t seq, std::string line, const line_facts& facts) = 0;
  // The run stopped early: pass on the lines held back behind a gap. Returns how many.
  virtual std::size_t release_held() = 0;
  // Pushes out what is buffered. False on error (see error()).
  virtual bool flush() = 0;
  virtual bool failed() const = 0;
  virtual std::string error() const = 0;
};

}  // namespace parallm::batch
