#include "batch/resume_scan.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <nlohmann/json.hpp>

#include "batch/input_line.hpp"
#include "batch/line_reader.hpp"

namespace parallm::batch {
namespace {

enum class line_kind { with_id, with_line, blank, parses_without_id, garbage };

struct classified {
  line_kind kind = line_kind::blank;
  std::string id;  // with_id: its JSON text
  std::uint64_t line = 0;
};

// The output line's "line", 0 when it has none.
std::uint64_t line_number(const nlohmann::json& value) {
  const auto found = value.find("line");
  return found != value.end() && found->is_number_unsigned() ? found->get<std::uint64_t>() : 0;
}

classified classify(const std::string& text, std::string_view id_key) {
  classified out;
  if (text.find_first_not_of(" \t\r\f\v") == std::string::npos) return out;
  const auto value = nlohmann::json::parse(text, nullptr, false);
  out.kind = line_kind::parses_without_id;
  if (value.is_discarded()) out.kind = line_kind::garbage;
  if (!value.is_object()) return out;
  out.line = line_number(value);
  const auto found = value.find(id_key);
  if (found == value.end() || found->is_null()) {
    if (out.line > 0) out.kind = line_kind::with_line;
    return out;
  }
  if (auto id = id_text(*found)) {
    out.kind = line_kind::with_id;
    out.id = std::move(*id);
  }
  return out;
}

// Output written before ids kept their JSON type has no "line" and a string for every id, a
// number's too: "7" may stand for 7. Such a line covers both, so that resuming an older
// output does not run its numbered items again. nullopt when the id needs no second form.
std::optional<std::string> number_it_may_stand_for(const std::string& id, std::uint64_t line) {
  if (line > 0 || id.size() < 3 || id.front() != '"') return std::nullopt;
  const auto digits = std::string_view(id).substr(1, id.size() - 2);
  const auto value = nlohmann::json::parse(digits, nullptr, false);
  if (!value.is_number_integer()) return std::nullopt;
  auto number = id_text(value);
  if (!number || *number != digits) return std::nullopt;
  return number;
}

}  // namespace

resume_state resume_scan(const std::string& path, std::string_view id_key) {
  resume_state state;
  if (path == "-") {
    state.error = "cannot resume into stdout: --resume needs an output file";
    return state;
  }
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) return state;
  line_reader reader(path);
  std::string line;
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
    const auto found = classify(line, id_key);
    switch (found.kind) {
      case line_kind::with_id:
        state.ids.insert(found.id, found.line);
        if (const auto number = number_it_may_stand_for(found.id, found.line)) {
          state.ids.insert(*number);
        }
        ++state.lines_kept;
        break;
      case line_kind::with_line:
        state.lines.insert(std::to_string(found.line), found.line);
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

bool already_done(const resume_state& state, std::string_view id, std::uint64_t line) {
  return id.empty() ? state.lines.contains(std::to_string(line)) : state.ids.contains(id);
}

}  // namespace parallm::batch
