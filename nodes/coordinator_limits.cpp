#include "nodes/coordinator_limits.hpp"

namespace parallm::nodes {

std::string_view to_string(refuse_reason r) {
  static constexpr std::array<std::string_view, refuse_reason_count> names{
      "too_many_peers", "too_many_batches", "over_credit", "backlog_full", "status_pending"};
  const auto i = static_cast<std::size_t>(r);
  return i < names.size() ? names[i] : "unknown";
}

}  // namespace parallm::nodes
