#pragma once
// Reducer: holds each admitted item's state, feeds it the final result of every call,
// asks the coordinator for the calls that became ready, and hands exactly one line per item
// to the line sink when the item is settled. When the run ends it sends the run_report to
// `done`.

#include <cstdint>
#include <memory>

#include <caf/actor_system.hpp>

#include "actors/interfaces.hpp"
#include "batch/line_sink.hpp"
#include "flow/graph.hpp"

namespace parallm::actors {

struct reducer_options {
  std::shared_ptr<const flow::graph> graph;
  std::shared_ptr<batch::line_sink> sink;
  bool progress = false;             // draw a live progress line on stderr
  std::uint64_t progress_total = 0;  // items in the input, 0 = unknown
  bool openai_batch_output = false;  // --format openai-batch: Batch API output lines
  std::uint64_t batch_nonce = 0;     // drawn per run, so Batch line ids never repeat across runs
  run_end_actor done;
  // On a thread of its own: in a coordinator process, whose scheduler thread also routes every
  // frame, the reduction (prompts, output lines) then runs beside the dispatch.
  bool own_thread = false;
};

reducer_actor spawn_reducer(caf::actor_system& system, reducer_options options);

}  // namespace parallm::actors
