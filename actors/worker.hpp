#pragma once
// Worker: runs the calls it is given, up to the credit the coordinator grants it, and reports
// each attempt's classified outcome. It knows a batch only by its call profiles
// (flow/call_profile.hpp), received once per batch before its first task, never by its graph,
// so one worker serves any number of batches.

#include <memory>

#include <caf/actor_system.hpp>

#include "actors/interfaces.hpp"
#include "providers/http_engine.hpp"

namespace parallm::actors {

// http: the process's HTTP engine; may be null when every endpoint it is given is sim.
// API keys are read from this process's environment, by the names the profiles give.
worker_actor spawn_worker(caf::actor_system& system, result_sink_actor sink,
                          std::shared_ptr<providers::http_engine> http);

}  // namespace parallm::actors
