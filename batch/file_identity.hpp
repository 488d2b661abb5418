#pragma once
// Which file an open descriptor is, so that an output naming the input (through another
// path, a symlink or a hard link) is refused before it is truncated.

#include <optional>
#include <string>

#include <sys/types.h>

namespace parallm::batch {

struct file_identity {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const file_identity&) const = default;
};

// The identity of the regular file open at fd; nullopt for anything else (a pipe, a
// terminal, a device such as /dev/null), which reading and writing at once cannot destroy.
std::optional<file_identity> regular_file_identity(int fd);

// Why the output ("-" = stdout) must not be written: it is the input file. Empty when it is
// not, or does not exist yet.
std::string output_is_input(const std::string& output, std::optional<file_identity> input);

// The refusal's text, for an output shown as `output`.
std::string output_is_input_message(const std::string& output);

}  // namespace parallm::batch
