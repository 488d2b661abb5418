#pragma once
// `parallm run`: the whole system in one process.

#include <optional>
#include <string>
#include <vector>

#include "cli/job_setup.hpp"

namespace parallm::cli {

struct run_args {
  std::string job_path;  // empty: the input is an OpenAI Batch API file
  std::string input = "-";
  std::string output = "-";
  int workers = 1;
  bool ordered = false;
  bool resume = false;
  bool retry_failed = false;           // with resume: run the failed and partial items of OUT again
  std::optional<bool> progress;        // unset: on when stderr is a terminal
  std::vector<std::string> overrides;  // --set KEY=VALUE
  std::optional<std::string> stats_path;  // --stats: the closing summary as JSON
  setting_shorthands shorthands;          // --provider, --base-url, --api-key-env, --concurrency
  bool openai_batch_output = false;       // --format openai-batch
};

// Returns the process exit status (cli/exit_codes.hpp).
int run_command(const run_args& args);

}  // namespace parallm::cli
