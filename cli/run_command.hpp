#pragma once
// `parallm run`: the whole system in one process.

#include <optional>
#include <string>
#include <vector>

namespace parallm::cli {

struct run_args {
  std::string job_path;
  std::string input = "-";
  std::string output = "-";
  int workers = 1;
  std::optional<int> concurrency;  // overrides limits.concurrency
  bool ordered = false;
  bool resume = false;
  std::optional<bool> progress;           // unset: on when stderr is a terminal
  std::vector<std::string> overrides;     // --set KEY=VALUE
  std::optional<std::string> stats_path;  // --stats: the closing summary as JSON
};

// Returns the process exit status (cli/exit_codes.hpp).
int run_command(const run_args& args);

}  // namespace parallm::cli
