#include "actors/dispatch_core.hpp"

#include <algorithm>

namespace parallm::actors {

dispatch_core::dispatch_core(options opts)
    : options_(std::move(opts)), rng_(options_.seed), failures_(options_.abort_after_failures) {
  if (options_.endpoints.empty()) options_.endpoints.emplace_back();
  for (std::size_t i = 0; i < options_.endpoints.size(); ++i) {
    auto limiter = i < options_.limiters.size() ? options_.limiters[i] : nullptr;
    if (!limiter) limiter = std::make_shared<providers::shared_rate_limiter>(options_.endpoints[i]);
    endpoints_.push_back({std::move(limiter), {}, {}, {}});
  }
}

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

void dispatch_core::stop() {
  stopped_ = true;
  requested_ = 0;
  dispatch_stopped_ = true;
  for (auto& e : endpoints_) e.pending.clear();
  std::erase_if(tasks_, [](const auto& entry) { return !entry.second.at_worker; });
}

dispatch_core::worker_id dispatch_core::add_worker(std::uint32_t capacity) {
  const auto id = next_worker_id_++;
  workers_.push_back({id, capacity, 0});
  return id;
}

bool dispatch_core::set_capacity(worker_id id, std::uint32_t capacity) {
  const auto index = worker_index(id);
  if (index == workers_.size()) return false;
  workers_[index].capacity = capacity;
  return true;
}

std::size_t dispatch_core::worker_index(worker_id id) const {
  const auto it = std::lower_bound(workers_.begin(), workers_.end(), id,
                                   [](const worker_slot& w, worker_id v) { return w.id < v; });
  return it != workers_.end() && it->id == id ? static_cast<std::size_t>(it - workers_.begin())
                                              : workers_.size();
}

std::optional<std::uint32_t> dispatch_core::credit(worker_id id) const {
  const auto index = worker_index(id);
  if (index == workers_.size()) return std::nullopt;
  return workers_[index].credit();
}

// A removed worker's slots are gone with it.
void dispatch_core::give_back_slot(worker_id id) {
  --at_workers_;
  const auto index = worker_index(id);
  if (index == workers_.size()) return;
  auto& slot = workers_[index];
  if (slot.in_use > 0) --slot.in_use;
}

template <class Lost>
std::size_t dispatch_core::take_back(Lost lost) {
  std::vector<std::uint64_t> keys;
  for (const auto& [key, record] : tasks_) {
    if (record.at_worker && lost(record)) keys.push_back(key);
  }
  std::sort(keys.begin(), keys.end());
  // The newest first to the front, so that the oldest ends up leading its queue.
  for (auto k = keys.rbegin(); k != keys.rend(); ++k) {
    const auto it = tasks_.find(*k);
    auto& record = it->second;
    record.at_worker = false;
    ++record.generation;
    give_back_slot(record.worker);
    if (dispatch_stopped_) {
      tasks_.erase(it);
    } else {
      endpoints_[record.endpoint].pending.push_front(*k);
    }
  }
  return keys.size();
}

std::size_t dispatch_core::remove_worker(worker_id id) {
  const auto index = worker_index(id);
  if (index == workers_.size()) return 0;
  workers_.erase(workers_.begin() + static_cast<std::ptrdiff_t>(index));
  if (index < next_worker_) --next_worker_;
  if (next_worker_ >= workers_.size()) next_worker_ = 0;
  return take_back([id](const task_record& r) { return r.worker == id; });
}

std::size_t dispatch_core::reclaim_overdue(clock::time_point now) {
  if (options_.task_deadline <= clock::duration::zero() || at_workers_ == 0) return 0;
  return take_back([now](const task_record& r) { return r.deadline < now; });
}

void dispatch_core::add_calls(call_batch&& batch) {
  if (dispatch_stopped_) return;
  for (auto& c : batch.calls) {
    const auto id = next_counter_++;
    const auto node = c.call.node;
    task_record record{c.seq, std::move(c.call)};
    if (node < options_.node_endpoint.size()) {
      record.endpoint = std::min<std::uint32_t>(options_.node_endpoint[node],
                                                static_cast<std::uint32_t>(endpoints_.size() - 1));
    }
    const auto max_tokens =
        node < options_.node_max_tokens.size() ? options_.node_max_tokens[node] : std::nullopt;
    record.estimated_tokens = providers::estimate_tokens(record.call.prompt, max_tokens);
    endpoints_[record.endpoint].pending.push_back(id);
    tasks_.emplace(id, std::move(record));
  }
}

std::size_t dispatch_core::pending() const {
  std::size_t n = 0;
  for (const auto& e : endpoints_) n += e.pending.size();
  return n;
}

std::deque<std::uint64_t> dispatch_core::release(std::size_t room, clock::time_point now,
                                                 std::optional<clock::time_point>& wake_at,
                                                 std::optional<long_hold>& longest) {
  std::deque<std::uint64_t> ready;
  // Endpoints take turns, so a slow (rate-limited) one does not starve the others.
  for (std::size_t turn = 0; turn < endpoints_.size() && ready.size() < room; ++turn) {
    auto& e = endpoints_[(next_endpoint_ + turn) % endpoints_.size()];
    while (!e.pending.empty() && ready.size() < room) {
      const auto id = e.pending.front();
      const auto tokens = tasks_.at(id).estimated_tokens;
      // Decided under the limiter's one lock: a batch sharing it cannot slip in between.
      const auto decision = e.limiter->try_acquire_or_hold(tokens, now);
      if (!decision.acquired) {
        const auto& held = decision.held;
        const auto at = held ? held->until : now;
        if (!wake_at || at < *wake_at) wake_at = at;
        if (held && (!longest || held->until > longest->until)) {
          longest = long_hold{std::string(decision.held_by), held->until};
        }
        break;
      }
      e.pending.pop_front();
      ready.push_back(id);
    }
  }
  next_endpoint_ = (next_endpoint_ + 1) % endpoints_.size();
  return ready;
}

dispatch_core::dispatch_plan dispatch_core::dispatch(clock::time_point now) {
  dispatch_plan plan;
  if (dispatch_stopped_) return plan;
  std::size_t room = 0;
  for (const auto& w : workers_) room += w.credit();
  if (room == 0) return plan;
  std::optional<long_hold> longest;
  auto ready = release(room, now, plan.wake_at, longest);
  for (const auto& e : endpoints_) {
    if (e.retry_hold_until > now && (!longest || e.retry_hold_until > longest->until)) {
      longest = long_hold{std::string(e.retry_hold_source), e.retry_hold_until};
    }
  }
  plan.hold_changed = note_hold(std::move(longest), now);
  // Round-robin over workers so that equal workers get equal shares of a burst.
  auto& out = plan.batches;
  std::size_t idle_rounds = 0;
  while (!ready.empty() && idle_rounds < workers_.size()) {
    const auto w = next_worker_;
    next_worker_ = (next_worker_ + 1) % workers_.size();
    auto& slot = workers_[w];
    const auto credit = slot.credit();
    if (credit == 0) {
      ++idle_rounds;
      continue;
    }
    idle_rounds = 0;
    auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& p) { return p.first == slot.id; });
    if (it == out.end()) it = out.insert(out.end(), {slot.id, task_batch{}});
    const auto fair_share = std::max<std::size_t>(1, ready.size() / workers_.size());
    const auto n = std::min<std::size_t>({credit, ready.size(), fair_share});
    for (std::size_t i = 0; i < n; ++i) {
      const auto id = ready.front();
      ready.pop_front();
      auto& record = tasks_.at(id);
      record.worker = slot.id;
      record.sent_at = now;
      record.deadline = now + options_.task_deadline;
      record.at_worker = true;
      it->second.tasks.push_back(task{{options_.epoch, options_.batch, id},
                                      record.attempt,
                                      record.generation,
                                      profile_of(record.call.node),
                                      record.call.element,
                                      record.call.prompt,
                                      record.call.system,
                                      record.call.count});
    }
    slot.in_use += static_cast<std::uint32_t>(n);
    at_workers_ += n;
  }
  return plan;
}

void dispatch_core::hold_for_retry(endpoint& e,
                                   std::optional<std::chrono::milliseconds> retry_after,
                                   std::chrono::milliseconds delay, clock::time_point now) {
  if (now + delay <= e.retry_hold_until) return;
  e.retry_hold_until = now + delay;
  e.retry_hold_source = retry_after && *retry_after >= delay ? "Retry-After" : "429 backoff";
}

bool dispatch_core::note_hold(std::optional<long_hold> longest, clock::time_point now) {
  if (longest && longest->until - now <= options_.long_hold_after) longest.reset();
  if (!longest) {
    const bool was = hold_.has_value();
    hold_.reset();
    return was;
  }
  // A pacing limit moves its time on with every call it lets go: a second's drift is no news.
  const bool news = !hold_ || hold_->source != longest->source ||
                    longest->until - hold_->until >= std::chrono::seconds{1} ||
                    hold_->until - longest->until >= std::chrono::seconds{1};
  if (news) hold_ = std::move(longest);
  return news;
}

void dispatch_core::report_to_limiter(const task_record& record, const attempt_result& result,
                                      clock::time_point now) {
  auto& limiter = *endpoints_[record.endpoint].limiter;
  if (!result.rate.empty()) limiter.on_rate_headers(result.rate, now);
  if (result.outcome.http_status == 429) {
    limiter.on_rate_limited(record.sent_at, now);
  } else if (result.outcome.kind == providers::outcome_kind::ok) {
    limiter.on_success(now);
    const auto used = result.outcome.prompt_tokens + result.outcome.completion_tokens;
    if (used > 0) {
      limiter.correct_tokens(static_cast<std::int64_t>(used) -
                             static_cast<std::int64_t>(record.estimated_tokens));
    }
  }
}

void dispatch_core::on_results(result_batch&& batch, clock::time_point now, result_effects& out) {
  for (auto& r : batch.results) {
    if (!is_ours(r.key)) {
      ++unknown_results_;
      continue;
    }
    auto it = tasks_.find(r.key.counter);
    if (it == tasks_.end()) {  // finished, or dropped by a stop
      ++stale_results_;
      continue;
    }
    auto& record = it->second;
    // A late answer to an attempt since retried or taken back: the task waits for its retry
    // or in a queue, or its redo is at a worker and this is not that one's answer.
    if (!record.at_worker || r.attempt != record.attempt || r.generation != record.generation) {
      ++stale_results_;
      continue;
    }
    record.at_worker = false;
    give_back_slot(record.worker);
    report_to_limiter(record, r, now);
    if (r.outcome.http_status == 429) ++record.rate_limited;
    if (r.outcome.kind == providers::outcome_kind::retryable && dispatch_stopped_) {
      tasks_.erase(it);  // stopped: its item stays unfinished, for --resume
      continue;
    }
    if (r.outcome.kind == providers::outcome_kind::retryable) {
      const auto delay = providers::retry_delay(options_.retry, static_cast<int>(record.attempt),
                                                r.outcome.retry_after, unit_(rng_));
      if (delay) {
        ++record.attempt;
        if (r.outcome.http_status == 429) {
          hold_for_retry(endpoints_[record.endpoint], r.outcome.retry_after, *delay, now);
        }
        out.retries.push_back({r.key, *delay});
        continue;
      }
    }
    finish(record, r, out);
    tasks_.erase(it);
  }
  // Every call fails alike: stop as for a signal. The rest of this batch is finished, and
  // the calls at workers may still complete their items.
  if (out.stopped) stop();
}

void dispatch_core::finish(task_record& record, attempt_result& result, result_effects& out) {
  if (auto stop = failures_.on_settled(result.outcome)) out.stopped = std::move(stop);
  flow::call_result call;
  call.ok = result.outcome.kind == providers::outcome_kind::ok;
  call.attempts = static_cast<int>(record.attempt);
  call.rate_limited = static_cast<int>(record.rate_limited);
  call.latency_ms = result.latency_ms;
  call.prompt_tokens = result.outcome.prompt_tokens;
  call.completion_tokens = result.outcome.completion_tokens;
  call.finish_reason = std::move(result.outcome.finish_reason);
  if (call.ok) {
    call.text = std::move(result.outcome.text);
    call.more_texts = std::move(result.outcome.more_texts);
  } else {
    call.error = std::move(result.outcome.error);
    if (result.outcome.kind == providers::outcome_kind::retryable) {
      call.error += " (gave up after " + std::to_string(record.attempt) + " attempts)";
    }
  }
  out.finished.calls.push_back(
      finished_call{record.seq, record.call.node, record.call.element, std::move(call)});
}

void dispatch_core::retry_due(const task_key& key) {
  if (!is_ours(key)) return;
  const auto it = tasks_.find(key.counter);
  if (it != tasks_.end()) endpoints_[it->second.endpoint].pending.push_back(key.counter);
}

}  // namespace parallm::actors
