#include "batch/resume_scan.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <nlohmann/json.hpp>

#include "batch/line_reader.hpp"

namespace parallm::batch {
namespace {

enum class line_kind { result, blank, parses_without_id, garbage };

line_kind classify(const std::string& line, std::string& id) {
  if (line.find_first_not_of(" \t\r\f\v") == std::string::npos) return line_kind::blank;
  const auto value = nlohmann::json::parse(line, nullptr, false);
  if (value.is_discarded()) return line_kind::garbage;
  if (!value.is_object()) return line_kind::parses_without_id;
  const auto found = value.find("id");
  if (found == value.end() || !found->is_string()) return line_kind::parses_without_id;
  id = found->get<std::string>();
  return line_kind::result;
}

}  // namespace

resume_state resume_scan(const std::string& path) {
  resume_state state;
  if (path == "-") {
    state.error = "cannot resume into stdout: --resume needs an output file";
    return state;
  }
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) return state;
  line_reader reader(path);
  std::string line;
  std::string id;
  std::uint64_t line_start = 0;
  // A garbage line is bad in the middle but torn at the end; only the next line tells which.
  std::optional<std::uint64_t> garbage_start;
  std::optional<std::uint64_t> torn_start;
  while (reader.next(line)) {
    if (garbage_start) ++state.bad_lines;
    garbage_start.reset();
    if (!reader.line_terminated()) {
      torn_start = line_start;
      break;
    }
    switch (classify(line, id)) {
      case line_kind::result:
        state.ids.insert(id);
        ++state.lines_kept;
        break;
      case line_kind::parses_without_id:
        ++state.bad_lines;
        break;
      case line_kind::garbage:
        garbage_start = line_start;
        break;
      case line_kind::blank:
        break;
    }
    line_start = reader.end_offset();
  }
  if (!reader.error().empty()) {
    state.error = reader.error();
    return state;
  }
  if (garbage_start) torn_start = garbage_start;
  if (!torn_start) return state;
  if (::truncate(path.c_str(), static_cast<off_t>(*torn_start)) != 0) {
    state.error = path + ": cannot cut the torn last line: " + std::strerror(errno);
    return state;
  }
  state.bytes_truncated = reader.end_offset() - *torn_start;
  return state;
}

}  // namespace parallm::batch
