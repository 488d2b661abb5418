#include "batch/file_identity.hpp"

#include <sys/stat.h>

namespace parallm::batch {

std::optional<file_identity> regular_file_identity(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return file_identity{st.st_dev, st.st_ino};
}

}  // namespace parallm::batch
