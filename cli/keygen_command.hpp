#pragma once
// `parallm keygen --out PREFIX [--force]`: a CURVE key pair for a coordinator, worker or client,
// as PREFIX.secret (mode 0600) and PREFIX.public (mode 0644), one Z85 key per file.

#include <string>

namespace parallm::cli {

struct keygen_args {
  std::string prefix;
  bool force = false;  // overwrite existing files
};

// 0, or 2 when a file exists (without --force) or cannot be written.
int keygen_command(const keygen_args& args);

}  // namespace parallm::cli
