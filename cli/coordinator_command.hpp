#pragma once
// `parallm coordinator`: binds a ROUTER for workers and one for clients and runs every batch
// submitted to it on the workers that joined, until SIGINT/SIGTERM.

#include <string>

#include "cli/coordinator_security.hpp"
#include "nodes/coordinator_limits.hpp"

namespace parallm::cli {

struct coordinator_args {
  std::string workers_bind;
  std::string clients_bind;
  int heartbeat_ms = 1000;
  int liveness = 5;  // heartbeats a peer may miss before it is taken for dead
  std::string log_level = "info";
  nodes::coordinator_limits limits;    // --max-* flags
  coordinator_security_args security;  // CURVE and allow-lists, or --insecure
};

int coordinator_command(const coordinator_args& args);

}  // namespace parallm::cli
