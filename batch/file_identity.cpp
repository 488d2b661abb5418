#include "batch/file_identity.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace parallm::batch {

std::optional<file_identity> regular_file_identity(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return file_identity{st.st_dev, st.st_ino};
}

std::string output_is_input(const std::string& output, std::optional<file_identity> input) {
  if (!input) return {};
  if (output == "-") {
    return regular_file_identity(STDOUT_FILENO) == input ? output_is_input_message("<stdout>")
                                                         : std::string();
  }
  struct stat st {};
  if (::stat(output.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
  const bool same = file_identity{st.st_dev, st.st_ino} == input;
  return same ? output_is_input_message(output) : std::string();
}

std::string output_is_input_message(const std::string& output) {
  return "the output " + output + " is the input file; refusing to overwrite it";
}

}  // namespace parallm::batch
