#pragma once
// Reducer: holds each admitted item's state, feeds it the final result of every call,
// asks the coordinator for the calls that became ready, and writes exactly one output
// line per item when the item is settled.

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>

#include "actors/interfaces.hpp"
#include "batch/output_writer.hpp"
#include "batch/run_stats.hpp"
#include "flow/graph.hpp"

namespace parallm::actors {

// What the run came to, handed to whoever waits for it.
struct run_report {
  batch::run_stats stats;                     // counts, tokens, calls, latencies as they ended
  batch::run_stats::clock::duration elapsed;  // from the reducer's start to the last line
  std::string error;  // the input could not be read, or the output not written

  double wall_s() const { return std::chrono::duration<double>(elapsed).count(); }
  std::string summary() const { return stats.summary(elapsed); }
};

struct reducer_options {
  std::shared_ptr<const flow::graph> graph;
  std::shared_ptr<batch::output_writer> writer;
  bool progress = false;             // draw a live progress line on stderr
  std::uint64_t progress_total = 0;  // items in the input, 0 = unknown
  bool openai_batch_output = false;  // --format openai-batch: Batch API output lines
  std::uint64_t batch_nonce = 0;     // drawn per run, so Batch line ids never repeat across runs
  std::shared_ptr<std::promise<run_report>> done;
};

reducer_actor spawn_reducer(caf::actor_system& system, reducer_options options);

}  // namespace parallm::actors
