#include "flow/call_profile.hpp"

#include "flow/graph.hpp"

namespace parallm::flow {

profile_table build_profiles(const graph& g) {
  const auto timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(g.job().limits.timeout_s * 1000));
  profile_table table;
  table.of_node.reserve(g.nodes().size());
  for (const auto& node : g.nodes()) {
    if (node.role != node_role::call && node.role != node_role::reduce_call) {
      table.of_node.push_back(profile_table::no_profile);
      continue;
    }
    table.of_node.push_back(static_cast<std::uint32_t>(table.profiles.size()));
    table.profiles.push_back({g.providers()[node.provider], node.spec.temperature,
                              node.spec.max_tokens, node.spec.params, node.spec.passthrough,
                              timeout});
  }
  return table;
}

}  // namespace parallm::flow
