#include "cli/job_setup.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/job_loader.hpp"

namespace parallm::cli {

std::shared_ptr<const flow::graph> load_graph(const std::string& job_path,
                                              const std::vector<std::string>& overrides) {
  auto loaded = config::load_job_file(job_path, overrides);
  if (!loaded.errors.empty()) {
    for (const auto& d : loaded.errors) std::fprintf(stderr, "%s\n", d.to_string().c_str());
    std::fprintf(stderr, "parallm: %zu error%s in %s\n", loaded.errors.size(),
                 loaded.errors.size() == 1 ? "" : "s", job_path.c_str());
    return nullptr;
  }
  return flow::graph::compile(*loaded.value);
}

std::optional<std::string> check_input_readable(const std::string& path) {
  if (path == "-") return std::nullopt;
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return "cannot read input " + path + ": " + std::strerror(errno);
  struct stat st {};
  const bool is_dir = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
  ::close(fd);
  if (is_dir) return "cannot read input " + path + ": is a directory";
  return std::nullopt;
}

}  // namespace parallm::cli
