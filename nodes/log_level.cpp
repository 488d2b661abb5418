#include "nodes/log_level.hpp"

namespace parallm::nodes {

std::optional<log_level> parse_log_level(std::string_view text) {
  if (text == "error") return log_level::error;
  if (text == "warn") return log_level::warn;
  if (text == "info") return log_level::info;
  if (text == "debug") return log_level::debug;
  return std::nullopt;
}

}  // namespace parallm::nodes
