#pragma once
// Loading a job for a command: diagnostics to stderr, the compiled graph on success.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flow/graph.hpp"

namespace parallm::cli {

// Prints every problem of the job file to stderr and returns null if there is any.
//
// openai_batch: the input is an OpenAI Batch API file. The job may then be only a provider
// (and limits), or absent (job_path empty: an openai provider, shaped by the overrides); it
// gets one pass-through node that sends each line's body as it is.
std::shared_ptr<const flow::graph> load_graph(const std::string& job_path,
                                              const std::vector<std::string>& overrides,
                                              bool openai_batch = false);

// Why the input cannot be read, or nullopt. "-" (stdin) is always readable.
std::optional<std::string> check_input_readable(const std::string& path);

// Whether the input file's first non-blank line is an OpenAI Batch API request. False for
// stdin, which cannot be looked at without consuming it.
bool input_is_openai_batch(const std::string& path);

}  // namespace parallm::cli
