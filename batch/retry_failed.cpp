#include "batch/retry_failed.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "batch/id_registry.hpp"
#include "batch/input_line.hpp"
#include "batch/line_reader.hpp"

namespace parallm::batch {
namespace {

struct result_line {
  bool retry = false;
  std::optional<std::string> id;  // JSON text, when the line has one
};

// nullopt for a line that is not a result (blank, garbage, not an object).
std::optional<result_line> read_result(const std::string& text, std::string_view id_key) {
  const auto value = nlohmann::json::parse(text, nullptr, false);
  if (!value.is_object()) return std::nullopt;
  result_line out;
  if (const auto status = value.find("status"); status != value.end()) {
    out.retry = !status->is_string() || status->get_ref<const std::string&>() != "ok";
  } else if (const auto error = value.find("error"); error != value.end()) {
    out.retry = !error->is_null();
  }
  if (const auto id = value.find(id_key); id != value.end()) out.id = id_text(*id);
  return out;
}

std::string describe_errno(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

bool write_all(int fd, const std::string& data) {
  const char* p = data.data();
  auto left = data.size();
  while (left > 0) {
    const auto n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

// The temp file's fd and path, next to `path` so that rename() stays in one file system.
std::pair<int, std::string> make_temp_beside(const std::string& path) {
  // mkstemp replaces the six trailing X's with a unique suffix.
  std::string name = path + ".retry-" + std::string(6, 'X');
  const int fd = ::mkstemp(name.data());
  return {fd, name};
}

// Copies `path` into fd without the results to drop; counts them into `dropped`.
std::string copy_kept(const std::string& path, std::string_view id_key, const id_registry& kept,
                      int fd, std::uint64_t& dropped) {
  line_reader reader(path);
  std::string line;
  std::string out;
  while (reader.next(line)) {
    const auto result = read_result(line, id_key);
    if (result && result->retry && !(result->id && kept.contains(*result->id))) {
      ++dropped;
      continue;
    }
    out += line;
    if (reader.line_terminated()) out += '\n';
    if (out.size() >= (std::size_t{1} << 20)) {
      if (!write_all(fd, out)) return describe_errno("cannot write the rewritten output");
      out.clear();
    }
  }
  if (!reader.error().empty()) return reader.error();
  if (!write_all(fd, out)) return describe_errno("cannot write the rewritten output");
  return {};
}

}  // namespace

retry_rewrite drop_failed_results(const std::string& path, std::string_view id_key) {
  retry_rewrite rewrite;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) rewrite.error = describe_errno(path);
    return rewrite;
  }
  // The ids that keep a good line, so that a failed duplicate of one of them stays.
  id_registry kept;
  {
    line_reader reader(path);
    std::string line;
    while (reader.next(line)) {
      if (!reader.line_terminated()) break;
      const auto result = read_result(line, id_key);
      if (result && !result->retry && result->id) kept.insert(*result->id);
    }
    if (!reader.error().empty()) {
      rewrite.error = reader.error();
      return rewrite;
    }
  }
  const auto [fd, temp] = make_temp_beside(path);
  if (fd < 0) {
    rewrite.error = describe_errno(path + ": cannot create a temp file beside it");
    return rewrite;
  }
  auto error = copy_kept(path, id_key, kept, fd, rewrite.dropped);
  if (error.empty() && ::fchmod(fd, st.st_mode & 07777) != 0) error = describe_errno(temp);
  if (error.empty() && ::fsync(fd) != 0) error = describe_errno(temp);
  if (::close(fd) != 0 && error.empty()) error = describe_errno(temp);
  if (error.empty() && ::rename(temp.c_str(), path.c_str()) != 0) error = describe_errno(path);
  if (!error.empty()) {
    ::unlink(temp.c_str());
    rewrite.error = error;
    return rewrite;
  }
  // The rename is durable once the directory is synced.
  const auto dir = std::filesystem::path(path).parent_path();
  const int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return rewrite;
}

}  // namespace parallm::batch
