#include "nodes/protocol.hpp"

#include <array>

namespace parallm::nodes {

std::string_view to_string(command c) {
  static constexpr std::array<std::string_view, command_count> names{
      "worker_hello",   "client_hello", "welcome",        "heartbeat",    "credit",
      "batch_profiles", "tasks",        "results",        "submit",       "items",
      "item_lines",     "batch_done",   "status_request", "status_reply", "refusal"};
  const auto i = static_cast<std::size_t>(c);
  return i < names.size() ? names[i] : "unknown";
}

}  // namespace parallm::nodes
