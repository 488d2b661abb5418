#pragma once
// Worker: runs the calls it is given against the job's providers, up to the credit the
// coordinator grants it, and reports each attempt's classified outcome.

#include <memory>

#include <caf/actor_system.hpp>

#include "actors/interfaces.hpp"
#include "flow/graph.hpp"

namespace parallm::actors {

worker_actor spawn_worker(caf::actor_system& system, std::shared_ptr<const flow::graph> graph,
                          result_sink_actor sink);

}  // namespace parallm::actors
