#pragma once
// Run watch: monitors every actor of a run, so that one dying of an exception ends the run
// with its name and reason instead of leaving the others waiting for it forever.
//
// A death (any exit reason but normal and user_shutdown) of the coordinator, the reader or a
// worker tells the reducer to finish with that error (it flushes and reports what it has);
// the reducer's own death is reported to `done` directly, and the caller flushes the line
// sink, which outlives the reducer.

#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/interfaces.hpp"

namespace parallm::actors {

struct watched_actor {
  caf::actor handle;
  std::string label;  // "the coordinator", "worker 2", ...
};

// Stop it with an exit message (user_shutdown) once the run is over.
caf::actor spawn_run_watch(caf::actor_system& system, std::vector<watched_actor> actors,
                           reducer_actor reducer, run_end_actor done);

}  // namespace parallm::actors
