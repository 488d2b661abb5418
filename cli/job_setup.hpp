#pragma once
// Loading a job for a command: diagnostics to stderr, the compiled graph on success.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flow/graph.hpp"

namespace parallm::cli {

// Prints every problem of the job file to stderr and returns null if there is any.
std::shared_ptr<const flow::graph> load_graph(const std::string& job_path,
                                              const std::vector<std::string>& overrides);

// Why the input cannot be read, or nullopt. "-" (stdin) is always readable.
std::optional<std::string> check_input_readable(const std::string& path);

}  // namespace parallm::cli
