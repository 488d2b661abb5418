#pragma once
// The coordinator's endpoints for a job: one rate limiter per distinct endpoint of the graph
// (providers/endpoint.hpp), and which endpoint each node's calls go to.

#include "actors/dispatch_core.hpp"
#include "actors/limiter_registry.hpp"
#include "flow/graph.hpp"

namespace parallm::actors {

// The job's rpm/tpm hold per endpoint, shared by all workers and all nodes that call it;
// sim endpoints are not rate limited unless the job says so. With a registry, by all batches
// that call it too (opts.limiters from the registry); without (`run`), the core makes its own.
void add_endpoints(const flow::graph& graph, dispatch_core::options& opts,
                   limiter_registry* registry = nullptr);

}  // namespace parallm::actors
