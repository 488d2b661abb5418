#pragma once
// The one in-process message vocabulary: atoms and the batch structs the actors exchange.
//
// These messages never leave the process (everything that crosses a process boundary is
// encoded by nodes/ with msgpack), so the structs are allowed as unsafe message types
// instead of being made CAF-serializable: that keeps nlohmann::json and shared graphs in them.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <nlohmann/json.hpp>

#include "actors/task_key.hpp"
#include "batch/run_stats.hpp"
#include "flow/call.hpp"
#include "flow/call_profile.hpp"
#include "providers/call_outcome.hpp"
#include "providers/rate_headers.hpp"

namespace parallm::actors {

using want_atom = caf::atom_constant<caf::atom("want")>;
using items_atom = caf::atom_constant<caf::atom("items")>;
using admit_atom = caf::atom_constant<caf::atom("admit")>;
using input_end_atom = caf::atom_constant<caf::atom("input_end")>;
using calls_atom = caf::atom_constant<caf::atom("calls")>;
using tasks_atom = caf::atom_constant<caf::atom("tasks")>;
using results_atom = caf::atom_constant<caf::atom("results")>;
using finished_atom = caf::atom_constant<caf::atom("finished")>;
using released_atom = caf::atom_constant<caf::atom("released")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using join_atom = caf::atom_constant<caf::atom("join")>;
// A joined worker's share of its slots for this batch changed (remote workers serve several).
using resize_atom = caf::atom_constant<caf::atom("resize")>;
// A joined worker left or is presumed dead: its tasks are redone elsewhere.
using leave_atom = caf::atom_constant<caf::atom("leave")>;
using attach_atom = caf::atom_constant<caf::atom("attach")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using delayed_atom = caf::atom_constant<caf::atom("delayed")>;
// What holds calls back for long (batch::hold_note), or "" once nothing does.
using held_atom = caf::atom_constant<caf::atom("held")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using drained_atom = caf::atom_constant<caf::atom("drained")>;
using abort_atom = caf::atom_constant<caf::atom("abort")>;
// The coordinator's own timer while tasks are at workers: take back the overdue ones.
using reclaim_atom = caf::atom_constant<caf::atom("reclaim")>;
// The run is over: its run_report, for whoever waits on it.
using run_end_atom = caf::atom_constant<caf::atom("run_end")>;
// A batch's call profiles, for a worker, before the batch's first task.
using profiles_atom = caf::atom_constant<caf::atom("profiles")>;

// An input line as admitted into the run. seq numbers admitted items 0, 1, 2, ... in input
// order; an item with an error is written out as failed without running.
struct admitted_item {
  std::uint64_t seq = 0;
  std::uint64_t line = 0;
  std::string id;  // JSON text, empty for none (batch::input_item::id)
  nlohmann::json fields;
  std::string error;
  std::string text;  // the line as read, kept only for a client that sends it on
};

struct item_batch {
  std::vector<admitted_item> items;
  bool end_of_input = false;
  std::uint64_t skipped = 0;  // lines skipped because --resume found them in the output
  std::string read_error;     // the input could not be read on; it ends here
};

// A call an item needs, as the reducer asks the coordinator for it.
struct item_call {
  std::uint64_t seq = 0;
  flow::call_request call;
};

struct call_batch {
  std::vector<item_call> calls;
};

// One attempt of a call, as the coordinator hands it to a worker. The worker echoes key,
// attempt and generation in its answer: an answer to anything but the task's current attempt
// and generation is stale and dropped (dispatch_core::on_results).
struct task {
  task_key key;
  std::uint32_t attempt = 1;
  // Bumped each time the task is taken back from a worker presumed lost, which does not
  // count as an attempt: the answer that worker may still send is then recognised as stale.
  std::uint32_t generation = 0;
  std::uint32_t profile = 0;  // index into its batch's profiles (batch_profiles)
  std::uint32_t element = 0;
  std::string prompt;
  std::string system;
  std::uint32_t count = 1;  // choices to ask for with "n" (flow::call_request::count)
};

// A batch's call profiles, as a worker receives them once before the batch's first task; a
// worker keeps the profiles of every batch it serves.
struct batch_profiles {
  std::uint64_t batch = 0;  // as in task_key
  std::shared_ptr<const std::vector<flow::call_profile>> profiles;
};

struct task_batch {
  std::vector<task> tasks;
};

struct attempt_result {
  task_key key;
  std::uint32_t attempt = 1;
  std::uint32_t generation = 0;
  providers::call_outcome outcome;
  double latency_ms = 0;
  providers::rate_headers rate;  // what the endpoint said about its limits, if anything
};

struct result_batch {
  std::vector<attempt_result> results;
};

// A call's final result after retries, for the reducer.
struct finished_call {
  std::uint64_t seq = 0;
  flow::node_index node = 0;
  std::uint32_t element = 0;
  flow::call_result result;
};

struct finished_batch {
  std::vector<finished_call> calls;
};

// What the run came to: sent by the reducer when it ends, or by the run watch when the
// reducer itself died.
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

}  // namespace parallm::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parallm::actors::task_key)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parallm::actors::item_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parallm::actors::call_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parallm::actors::batch_profiles)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parallm::actors::task_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parallm::actors::result_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parallm::actors::finished_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parallm::actors::attempt_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parallm::actors::run_report)
