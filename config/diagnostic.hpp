#pragma once
// A problem found in a job file, input file or option, with its place.

#include <string>
#include <vector>

namespace parallm::config {

struct diagnostic {
  std::string file;   // path, "--set", or "<input>"
  int line = 0;       // 1-based; 0 = not tied to a line
  int column = 0;     // 1-based; 0 = unknown
  std::string field;  // dotted path: "nodes.poem.after", "limits.concurrency"
  std::string message;

  // "job.yaml:12:5: nodes.poem.after: unknown node 'x' (expected one of: joke, story)"
  std::string to_string() const;
};

using diagnostics = std::vector<diagnostic>;

}  // namespace parallm::config
