#pragma once
// Coordinator: admits items from the reader under a bounded window, turns the calls the
// reducer asks for into tasks, dispatches them to workers under per-worker credit, and
// retries retryable failures with backoff before handing final results to the reducer.
// Workers are known by the ids dispatch_core gives them. With a task deadline set, a timer
// runs while tasks are at workers and takes back the overdue ones, to be redone.

#include <cstdint>

#include <caf/actor_system.hpp>

#include "actors/dispatch_core.hpp"
#include "actors/interfaces.hpp"

namespace parallm::actors {

//   admitting ──(end of input)──▶ draining: no more reads; calls, retries and results flow
//       │                          until the reducer has written every admitted item.
//       └──(stop)──▶ stopping: no more reads and no new tasks; the tasks at workers come
//                    back, then the reducer is told (drained) to write what finished.
//   admitting or draining ──(the first calls all failed alike)──▶ stopping, as for a stop;
//                    the reducer is told why first.
using coordinator_options = dispatch_core::options;

coordinator_actor spawn_coordinator(caf::actor_system& system, coordinator_options options,
                                    reader_actor reader, reducer_actor reducer);

}  // namespace parallm::actors
