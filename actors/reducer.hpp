#pragma once
// Reducer: holds each admitted item's state, feeds it the final result of every call,
// asks the coordinator for the calls that became ready, and writes exactly one output
// line per item when the item is settled.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
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
  std::string error;        // the input could not be read, the output not written, an actor died
  bool stats_lost = false;  // the reducer died with the counts
  // Why the run stopped before the end of the input (its first calls all failed alike); the
  // items not written are left for --resume.
  std::string stopped{};

  double wall_s() const { return std::chrono::duration<double>(elapsed).count(); }
  std::string summary() const { return stats.summary(elapsed); }
};

// Where the run's end is handed to the thread that waits for it. The first report wins: the
// reducer's, or the run watch's when the reducer itself died.
class run_outcome {
 public:
  void finish(run_report report) {
    std::lock_guard lock(mutex_);
    if (report_) return;
    report_ = std::move(report);
    ready_.notify_all();
  }

  run_report wait() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [this] { return report_.has_value(); });
    return *report_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::optional<run_report> report_;
};

struct reducer_options {
  std::shared_ptr<const flow::graph> graph;
  std::shared_ptr<batch::output_writer> writer;
  bool progress = false;             // draw a live progress line on stderr
  std::uint64_t progress_total = 0;  // items in the input, 0 = unknown
  bool openai_batch_output = false;  // --format openai-batch: Batch API output lines
  std::uint64_t batch_nonce = 0;     // drawn per run, so Batch line ids never repeat across runs
  std::shared_ptr<run_outcome> done;
};

reducer_actor spawn_reducer(caf::actor_system& system, reducer_options options);

}  // namespace parallm::actors
