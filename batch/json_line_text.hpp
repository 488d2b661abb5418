#pragma once
// Small text helpers shared by the two readers of JSONL input lines (parallm's own items and
// OpenAI Batch requests).

#include <string>
#include <string_view>

namespace parallm::batch {

inline bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

// nlohmann prefixes its messages with "[json.exception.parse_error.101] "; the user needs
// only what follows.
inline std::string without_exception_tag(const char* what) {
  std::string_view message(what);
  if (message.starts_with('[')) {
    const auto close = message.find("] ");
    if (close != std::string_view::npos) message.remove_prefix(close + 2);
  }
  return std::string(message);
}

}  // namespace parallm::batch
