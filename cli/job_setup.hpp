#pragma once
// Loading a job for a command: diagnostics to stderr, the compiled graph on success.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flow/graph.hpp"

namespace parallm::cli {

// Shorthands for job settings, taken by run and validate alike.
struct setting_shorthands {
  std::optional<std::string> provider;     // --provider: provider.kind
  std::optional<std::string> base_url;     // --base-url: provider.base_url
  std::optional<std::string> api_key_env;  // --api-key-env: provider.api_key_env
  std::optional<int> concurrency;          // --concurrency: limits.concurrency
};

// The --set list the loader applies: the shorthands first, then sets, so --set wins.
std::vector<std::string> overrides_for(const setting_shorthands& shorthands,
                                       const std::vector<std::string>& sets);

// Prints every problem of the job file to stderr and returns null if there is any; notes
// (fields a change of kind dropped) go to stderr too.
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

// A run without a job file needs an OpenAI Batch file: why the input is not one (its first
// line has no custom_id/body), or nullopt. Nothing is said about stdin.
std::optional<std::string> check_batch_input(const std::string& path);

}  // namespace parallm::cli
