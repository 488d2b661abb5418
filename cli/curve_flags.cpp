#include "cli/curve_flags.hpp"

#include <cstdio>

#include "nodes/curve_keys.hpp"

namespace parallm::cli {

bool client_curve_settings(const std::string& log_name, const client_curve_args& args,
                           nodes::curve_settings& settings) {
  if (args.secret_file.empty() && args.server_key_file.empty()) return true;
  if (args.secret_file.empty() || args.server_key_file.empty()) {
    std::fprintf(stderr,
                 "%s: --curve-secret and --server-key go together: this peer's secret key file "
                 "and the coordinator's public key file\n",
                 log_name.c_str());
    return false;
  }
  const auto pair = nodes::read_secret_key_file(args.secret_file);
  if (!pair) {
    std::fprintf(stderr, "%s: %s\n", log_name.c_str(), pair.error().message.c_str());
    return false;
  }
  const auto server = nodes::read_public_key_file(args.server_key_file);
  if (!server) {
    std::fprintf(stderr, "%s: --server-key: %s\n", log_name.c_str(),
                 server.error().message.c_str());
    return false;
  }
  settings.secret_key = pair.value().secret_key;
  settings.public_key = pair.value().public_key;
  settings.server_key = server.value();
  return true;
}

}  // namespace parallm::cli
