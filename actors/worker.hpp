#pragma once
// Worker: runs the calls it is given against the job's providers, up to the credit the
// coordinator grants it, and reports each attempt's classified outcome.

#include <memory>

#include <caf/actor_system.hpp>

#include "actors/interfaces.hpp"
#include "flow/graph.hpp"
#include "providers/http_engine.hpp"

namespace parallm::actors {

// http: the process's HTTP engine; may be null when every provider of the job is sim.
// API keys are read from this process's environment, by the names the job gives.
worker_actor spawn_worker(caf::actor_system& system, std::shared_ptr<const flow::graph> graph,
                          result_sink_actor sink, std::shared_ptr<providers::http_engine> http);

}  // namespace parallm::actors
