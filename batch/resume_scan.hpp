#pragma once
// --resume: what an earlier, possibly interrupted, run already wrote to the output file.

#include <cstdint>
#include <string>
#include <string_view>

#include "batch/id_registry.hpp"

namespace parallm::batch {

struct resume_state {
  id_registry ids;  // the id (JSON text) of every complete output line that has one
  // The input line number (as decimal text) of every complete output line whose id is null:
  // lines without an id, or whose id could not be read, are known by their number alone.
  id_registry lines;
  std::uint64_t lines_kept = 0;       // complete lines with an id or a line number
  std::uint64_t bytes_truncated = 0;  // the torn last line cut from the file
  std::uint64_t bad_lines = 0;        // complete lines in the middle that are not results
  std::string error;                  // empty unless the file could not be read or cut
};

// Reads the output file and collects the ids it holds under id_key: "id" for parallm's own
// lines, "custom_id" for OpenAI Batch output lines. A run killed mid-write leaves a torn
// last line (no "\n", or not valid JSON); the file is truncated to the end of the line
// before it so that appending starts on a clean line. A bad line in the middle is counted,
// kept and otherwise ignored. A missing file is an empty state: nothing to resume.
resume_state resume_scan(const std::string& path, std::string_view id_key = "id");

// Whether the input line (its id as JSON text, empty for none, and its number) already has
// its output line: by id when it has one, else by line number.
bool already_done(const resume_state& state, std::string_view id, std::uint64_t line);

}  // namespace parallm::batch
