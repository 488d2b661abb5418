#include "cli/keygen_command.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <tuple>

#include "cli/exit_codes.hpp"
#include "nodes/curve_keys.hpp"

namespace parallm::cli {
namespace {

// Writes `key` and a newline to `path` with exactly `mode`; the error, if any. Without
// `force` an existing file is left alone (O_EXCL, so that no race replaces it either).
std::optional<std::string> write_key(const std::string& path, const std::string& key, mode_t mode,
                                     bool force) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
  const int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) return "cannot write " + path + ": " + std::strerror(errno);
  // The umask may have taken bits away, and an overwritten file keeps its old mode: set it.
  const std::string line = key + "\n";
  const bool ok = ::fchmod(fd, mode) == 0 &&
                  ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  const int err = errno;
  if (::close(fd) != 0 || !ok) {
    return "cannot write " + path + ": " + std::strerror(ok ? errno : err);
  }
  return std::nullopt;
}

}  // namespace

int keygen_command(const keygen_args& args) {
  const auto secret_path = args.prefix + ".secret";
  const auto public_path = args.prefix + ".public";
  if (!args.force) {
    for (const auto* path : {&secret_path, &public_path}) {
      struct stat info {};
      if (::lstat(path->c_str(), &info) == 0) {
        std::fprintf(stderr, "parallm keygen: %s exists; --force overwrites it\n", path->c_str());
        return exit_bad_input;
      }
    }
  }
  nodes::curve_keypair pair;
  try {
    pair = nodes::generate_curve_keypair();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parallm keygen: %s\n", e.what());
    return exit_internal;
  }
  // The secret first: a public key file without its secret would be worth nothing.
  for (const auto& [path, key, mode] : {std::tuple{&secret_path, &pair.secret_key, 0600},
                                        std::tuple{&public_path, &pair.public_key, 0644}}) {
    if (auto error = write_key(*path, *key, static_cast<mode_t>(mode), args.force)) {
      std::fprintf(stderr, "parallm keygen: %s\n", error->c_str());
      return exit_bad_input;
    }
  }
  std::fprintf(stderr, "parallm keygen: wrote %s and %s (key %s)\n", secret_path.c_str(),
               public_path.c_str(), nodes::fingerprint(pair.public_key).c_str());
  return exit_ok;
}

}  // namespace parallm::cli
