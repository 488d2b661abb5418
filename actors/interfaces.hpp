#pragma once
// The typed interfaces of the actors, in one place because they refer to each other.
//
//   reader ──items──▶ coordinator ──tasks──▶ worker
//                      │  ▲   ▲                │
//               admit/ │  │   └───results──────┘
//             finished ▼  │ calls/released
//                      reducer ──▶ line sink
//                         │
//                         └──run_end──▶ whoever waits for the run

#include <cstdint>
#include <string>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"

namespace parallm::actors {

using worker_actor = caf::typed_actor<caf::reacts_to<profiles_atom, batch_profiles>,
                                      caf::reacts_to<tasks_atom, task_batch>>;

// Where a worker sends what its calls returned: the coordinator, or (on a worker node) the
// gateway that forwards results to a remote coordinator.
using result_sink_actor = caf::typed_actor<caf::reacts_to<results_atom, result_batch>>;

// The input side: hands out up to N admitted items per request.
using reader_actor = caf::typed_actor<caf::replies_to<want_atom, std::uint64_t>::with<item_batch>>;

// What the reducer needs from the coordinator: calls to dispatch, window slots to free.
using dispatcher_actor = caf::typed_actor<caf::reacts_to<calls_atom, call_batch>,
                                          caf::reacts_to<released_atom, std::uint64_t>>;

// Where the end of a run is reported: the reducer's run_report, or the run watch's when the
// reducer itself died. The first one is the run's outcome.
using run_end_actor = caf::typed_actor<caf::reacts_to<run_end_atom, run_report>>;

// drained: after a stop, the last result came back; abort: an actor of the run died.
using reducer_actor = caf::typed_actor<
    caf::reacts_to<attach_atom, dispatcher_actor>, caf::reacts_to<admit_atom, item_batch>,
    caf::reacts_to<finished_atom, finished_batch>, caf::reacts_to<input_end_atom, std::uint64_t>,
    caf::reacts_to<tick_atom>, caf::reacts_to<held_atom, std::string>, caf::reacts_to<flush_atom>,
    caf::reacts_to<drained_atom>, caf::reacts_to<abort_atom, std::string>,
    caf::reacts_to<stop_atom, std::string>>;

// join with a worker already joined only changes its capacity, as resize does.
using coordinator_actor = caf::typed_actor<
    caf::reacts_to<join_atom, worker_actor, std::uint32_t>,
    caf::reacts_to<resize_atom, worker_actor, std::uint32_t>,
    caf::reacts_to<leave_atom, worker_actor>, caf::reacts_to<results_atom, result_batch>,
    caf::reacts_to<calls_atom, call_batch>, caf::reacts_to<released_atom, std::uint64_t>,
    caf::reacts_to<retry_atom, task_key>, caf::reacts_to<tick_atom>, caf::reacts_to<stop_atom>>;

}  // namespace parallm::actors
