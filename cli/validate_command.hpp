#pragma once
// `parallm validate JOB [--input IN]`: every problem of a job file (and of an input file
// against it) at once, without running anything.

#include <optional>
#include <string>
#include <vector>

#include "cli/job_setup.hpp"

namespace parallm::cli {

struct validate_args {
  std::string job_path;
  std::optional<std::string> input;
  std::vector<std::string> overrides;
  setting_shorthands shorthands;  // as for run
};

// 0 when everything is valid, 2 otherwise (cli/exit_codes.hpp).
int validate_command(const validate_args& args);

}  // namespace parallm::cli
