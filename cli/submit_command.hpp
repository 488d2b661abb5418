#pragma once
// `parallm submit`: runs a batch on a coordinator's workers; the files, options, output and
// exit status are `run`'s.

#include <string>

#include "cli/curve_flags.hpp"
#include "cli/run_command.hpp"

namespace parallm::cli {

struct submit_args {
  run_args run;
  std::string coordinator;  // the coordinator's endpoint for clients
  client_curve_args curve;  // --curve-secret, --server-key
};

int submit_command(const submit_args& args);

}  // namespace parallm::cli
