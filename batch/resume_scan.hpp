#pragma once
// --resume: what an earlier, possibly interrupted, run already wrote to the output file.

#include <cstdint>
#include <string>

#include "batch/id_registry.hpp"

namespace parallm::batch {

struct resume_state {
  id_registry ids;                    // the "id" of every complete output line
  std::uint64_t lines_kept = 0;       // complete lines with an id
  std::uint64_t bytes_truncated = 0;  // the torn last line cut from the file
  std::uint64_t bad_lines = 0;        // complete lines in the middle that are not results
  std::string error;                  // empty unless the file could not be read or cut
};

// Reads the output file and collects the ids it holds. A run killed mid-write leaves a
// torn last line (no "\n", or not valid JSON); the file is truncated to the end of the line
// before it so that appending starts on a clean line. A bad line in the middle is counted,
// kept and otherwise ignored. A missing file is an empty state: nothing to resume.
resume_state resume_scan(const std::string& path);

}  // namespace parallm::batch
