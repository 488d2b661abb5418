#include "actors/dispatch_core.hpp"

#include <algorithm>

namespace parallm::actors {

dispatch_core::dispatch_core(options opts) : options_(opts), rng_(opts.seed) {}

std::uint64_t dispatch_core::items_to_request() const {
  if (stopped_ || requested_ != 0 || in_window_ >= options_.window) return 0;
  const auto free = options_.window - in_window_;
  // Ask in batches: a tiny request per released item would cost a round trip each.
  const auto worth_it = std::min(options_.read_batch, options_.window);
  if (free < worth_it) return 0;
  return std::min(free, options_.read_batch);
}

void dispatch_core::mark_requested(std::uint64_t n) {
  requested_ = n;
}

void dispatch_core::mark_admitted(std::uint64_t n) {
  requested_ = 0;
  in_window_ += n;
}

void dispatch_core::mark_released(std::uint64_t n) {
  in_window_ -= std::min(n, in_window_);
}

std::size_t dispatch_core::add_worker(std::uint32_t capacity) {
  workers_.push_back({capacity, capacity});
  return workers_.size() - 1;
}

void dispatch_core::add_calls(call_batch&& batch) {
  for (auto& c : batch.calls) {
    const auto id = next_task_id_++;
    tasks_.emplace(id, task_record{c.seq, std::move(c.call), 1, 0});
    pending_.push_back(id);
  }
}

std::vector<std::pair<std::size_t, task_batch>> dispatch_core::dispatch() {
  std::vector<std::pair<std::size_t, task_batch>> out;
  if (workers_.empty()) return out;
  // Round-robin over workers so that equal workers get equal shares of a burst.
  std::size_t idle_rounds = 0;
  while (!pending_.empty() && idle_rounds < workers_.size()) {
    const auto w = next_worker_;
    next_worker_ = (next_worker_ + 1) % workers_.size();
    auto& slot = workers_[w];
    if (slot.credit == 0) {
      ++idle_rounds;
      continue;
    }
    idle_rounds = 0;
    auto it = std::find_if(out.begin(), out.end(), [w](const auto& p) { return p.first == w; });
    if (it == out.end()) it = out.insert(out.end(), {w, task_batch{}});
    const auto fair_share = std::max<std::size_t>(1, pending_.size() / workers_.size());
    const auto n = std::min<std::size_t>({slot.credit, pending_.size(), fair_share});
    for (std::size_t i = 0; i < n; ++i) {
      const auto id = pending_.front();
      pending_.pop_front();
      auto& record = tasks_.at(id);
      record.worker = w;
      it->second.tasks.push_back(task{id, record.attempt, record.call.node, record.call.element,
                                      record.call.prompt, record.call.system});
    }
    slot.credit -= static_cast<std::uint32_t>(n);
  }
  return out;
}

void dispatch_core::on_results(result_batch&& batch, result_effects& out) {
  for (auto& r : batch.results) {
    auto it = tasks_.find(r.task_id);
    if (it == tasks_.end()) continue;  // a duplicate or late result: results are idempotent
    auto& record = it->second;
    auto& slot = workers_[record.worker];
    slot.credit = std::min(slot.capacity, slot.credit + 1);
    if (r.outcome.kind == providers::outcome_kind::retryable) {
      const auto delay = providers::retry_delay(options_.retry, static_cast<int>(record.attempt),
                                                r.outcome.retry_after, unit_(rng_));
      if (delay) {
        ++record.attempt;
        out.retries.push_back({r.task_id, *delay});
        continue;
      }
    }
    finish(record, r, out);
    tasks_.erase(it);
  }
}

void dispatch_core::finish(task_record& record, attempt_result& result, result_effects& out) {
  flow::call_result call;
  call.ok = result.outcome.kind == providers::outcome_kind::ok;
  call.attempts = static_cast<int>(record.attempt);
  call.latency_ms = result.latency_ms;
  call.prompt_tokens = result.outcome.prompt_tokens;
  call.completion_tokens = result.outcome.completion_tokens;
  if (call.ok) {
    call.text = std::move(result.outcome.text);
  } else {
    call.error = std::move(result.outcome.error);
    if (result.outcome.kind == providers::outcome_kind::retryable) {
      call.error += " (gave up after " + std::to_string(record.attempt) + " attempts)";
    }
  }
  out.finished.calls.push_back(
      finished_call{record.seq, record.call.node, record.call.element, std::move(call)});
}

void dispatch_core::retry_due(std::uint64_t task_id) {
  if (tasks_.count(task_id) != 0) pending_.push_back(task_id);
}

}  // namespace parallm::actors
