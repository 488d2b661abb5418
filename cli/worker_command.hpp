#pragma once
// `parallm worker`: a process that runs a coordinator's calls. It connects to the coordinator,
// says hello with its capacity, and runs the tasks it is sent until SIGINT or SIGTERM; it
// holds no job and no input, only the call profiles of the batches it serves.

#include <string>
#include <vector>

#include "cli/curve_flags.hpp"

namespace parallm::cli {

struct worker_args {
  std::string connect;   // the coordinator's worker endpoint, e.g. tcp://coord:5555
  std::string name;      // empty: hostname:pid
  int concurrency = 64;  // calls in flight at once: the capacity in its hello
  std::vector<std::string> endpoint_map;  // FROM=TO, applied to the profiles' base URLs
  int heartbeat_ms = 1000;                // how often to say hello until welcomed
  std::string log_level = "info";
  client_curve_args curve;  // --curve-secret, --server-key
};

// Returns the process exit status (cli/exit_codes.hpp): 0 after a signal, 2 for bad usage.
int worker_command(const worker_args& args);

}  // namespace parallm::cli
