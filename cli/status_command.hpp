#pragma once
// `parallm status`: asks a coordinator for its workers and running batches and prints them,
// as a table or (--json) as one JSON object.

#include <string>

#include "cli/curve_flags.hpp"

namespace parallm::cli {

struct status_args {
  std::string coordinator;  // the coordinator's endpoint for clients
  bool json = false;
  int timeout_ms = 5000;    // how long to wait for the coordinator's answer
  client_curve_args curve;  // --curve-secret, --server-key
};

int status_command(const status_args& args);

}  // namespace parallm::cli
