#include "actors/endpoint_setup.hpp"

#include "providers/endpoint.hpp"

namespace parallm::actors {

void add_endpoints(const flow::graph& graph, dispatch_core::options& opts,
                   limiter_registry* registry) {
  const auto& limits = graph.job().limits;
  const auto groups = providers::group_endpoints(graph.providers());
  for (const auto first : groups.first_provider) {
    providers::rate_limiter::options endpoint;
    endpoint.rpm = limits.rpm;
    endpoint.tpm = limits.tpm;
    endpoint.adaptive = graph.providers()[first].kind != config::provider_kind::sim;
    opts.endpoints.push_back(endpoint);
    if (registry) {
      opts.limiters.push_back(
          registry->acquire(providers::endpoint_identity(graph.providers()[first]), endpoint));
    }
  }
  for (const auto& node : graph.nodes()) {
    opts.node_endpoint.push_back(groups.endpoint_of.at(node.provider));
    opts.node_max_tokens.push_back(node.spec.max_tokens);
  }
}

}  // namespace parallm::actors
