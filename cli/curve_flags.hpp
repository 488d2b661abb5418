#pragma once
// The CURVE flags of the commands that connect to a coordinator (worker, submit, status):
// --curve-secret FILE (this peer's secret key; its public key is derived) and --server-key
// FILE (the coordinator's PREFIX.public), both or neither.

#include <string>

#include "nodes/gateway.hpp"

namespace parallm::cli {

struct client_curve_args {
  std::string secret_file;
  std::string server_key_file;
};

// Fills `settings` from the flags (left disabled when neither is given). False after printing
// why on stderr, prefixed with `log_name`: the caller exits 2.
bool client_curve_settings(const std::string& log_name, const client_curve_args& args,
                           nodes::curve_settings& settings);

}  // namespace parallm::cli
