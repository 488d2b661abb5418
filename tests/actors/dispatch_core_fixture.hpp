#pragma once
// What the dispatch_core tests share: small options, calls, and answers that echo a task.

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/dispatch_core.hpp"

namespace parallm::actors::testing {

using clock = dispatch_core::clock;
inline const auto t0 = clock::time_point{} + std::chrono::hours(1);

inline dispatch_core::options small_options() {
  dispatch_core::options opts;
  opts.window = 8;
  opts.read_batch = 4;
  opts.retry.max_retries = 2;
  opts.retry.initial = std::chrono::milliseconds(100);
  opts.retry.max = std::chrono::milliseconds(1000);
  return opts;
}

inline call_batch calls_for(std::uint64_t first_seq, int n) {
  call_batch batch;
  for (int i = 0; i < n; ++i) {
    batch.calls.push_back({first_seq + i, flow::call_request{0, 0, "p" + std::to_string(i), ""}});
  }
  return batch;
}

// The answer a worker gives to `t`: it echoes the task's key, attempt and generation.
inline attempt_result outcome(const task& t, providers::outcome_kind kind,
                              std::optional<std::chrono::milliseconds> retry_after = {}) {
  attempt_result r;
  r.key = t.key;
  r.attempt = t.attempt;
  r.generation = t.generation;
  r.outcome.kind = kind;
  r.outcome.text = kind == providers::outcome_kind::ok ? "fine" : "";
  r.outcome.error = kind == providers::outcome_kind::ok ? "" : "HTTP 503";
  r.outcome.retry_after = retry_after;
  r.latency_ms = 12;
  return r;
}

inline dispatch_core::result_effects feed(dispatch_core& core, std::vector<attempt_result> results,
                                          clock::time_point now = t0) {
  dispatch_core::result_effects effects;
  core.on_results(result_batch{std::move(results)}, now, effects);
  return effects;
}

inline std::size_t total_tasks(const dispatch_core::dispatch_plan& plan) {
  std::size_t n = 0;
  for (const auto& [w, b] : plan.batches) n += b.tasks.size();
  return n;
}

// A core with one worker of `capacity` that was handed one call; returns that task.
inline task dispatch_one(dispatch_core& core, std::uint32_t capacity) {
  core.add_worker(capacity);
  core.add_calls(calls_for(0, 1));
  return core.dispatch(t0).batches.front().second.tasks.front();
}

// Every task of a plan, in the order the plan hands them out.
inline std::vector<task> tasks_of(const dispatch_core::dispatch_plan& plan) {
  std::vector<task> all;
  for (const auto& [w, b] : plan.batches) all.insert(all.end(), b.tasks.begin(), b.tasks.end());
  return all;
}

}  // namespace parallm::actors::testing
