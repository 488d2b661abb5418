#pragma once
// The coordinator's bookkeeping without the actor: the admission window, the queues of calls
// waiting for a worker (one per provider endpoint, each behind its rate limiter), per-worker
// credit, the in-flight task table and the retry decision.
// The coordinator actor only routes messages to it, so all of this is unit-testable.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "actors/messages.hpp"
#include "providers/failure_watch.hpp"
#include "providers/rate_limiter.hpp"
#include "providers/retry_policy.hpp"

namespace parallm::actors {

class dispatch_core {
 public:
  using clock = std::chrono::steady_clock;

  struct options {
    std::uint64_t window = 4096;
    std::uint64_t read_batch = 512;
    providers::retry_policy retry;
    std::uint64_t seed = 0;
    // The task keys' first two parts: drawn at random per coordinator start, and the batch
    // this core dispatches (0 for `parallm run`).
    std::uint64_t epoch = 0;
    std::uint64_t batch = 0;
    // One rate limiter per provider endpoint (graph::providers() order); none given means
    // one endpoint without limits.
    std::vector<providers::rate_limiter::options> endpoints;
    std::vector<std::uint32_t> node_endpoint;         // node index -> endpoint; default 0
    std::vector<std::optional<int>> node_max_tokens;  // for the token estimate of a call
    // A rate limit holding calls back longer than this is told to the user.
    clock::duration long_hold_after = std::chrono::seconds{10};
    // Stop when the first N settled calls all failed alike (providers/failure_watch.hpp);
    // 0 = never.
    int abort_after_failures = 0;
  };

  // What holds calls back for long: "limits.rpm", "429 backoff" or a header's name, and until
  // when.
  struct long_hold {
    std::string source;
    clock::time_point until;
  };

  struct dispatch_plan {
    std::vector<std::pair<std::size_t, task_batch>> batches;  // (worker index, its batch)
    std::optional<clock::time_point> wake_at;  // a rate limit holds calls back until then
    bool hold_changed = false;                 // long_hold_now() is news to the user
  };

  struct retry_request {
    task_key key;
    std::chrono::milliseconds delay;
  };

  struct result_effects {
    finished_batch finished;             // for the reducer
    std::vector<retry_request> retries;  // to schedule; call retry_due(key) when due
    // Set once, when the first calls all failed alike: the one message for the user. The
    // core has then stopped (stop()), as for a signal.
    std::optional<std::string> stopped;
  };

  explicit dispatch_core(options opts);

  // -- admission window ------------------------------------------------------------------
  // How many items to ask the reader for now; 0 when a request is outstanding, the window
  // is too full to be worth a request, or admission stopped.
  std::uint64_t items_to_request() const;
  void mark_requested(std::uint64_t n);
  void mark_admitted(std::uint64_t n);  // the outstanding request was answered with n items
  void mark_released(std::uint64_t n);  // n items left the window (written out)
  void stop_admitting() { stopped_ = true; }
  bool admitting() const { return !stopped_; }

  // -- stop (the first SIGINT/SIGTERM) ------------------------------------------------
  // No more admission (an outstanding request is abandoned: its answer is not admitted) and
  // no more dispatch: queued and retry-waiting tasks are dropped, calls asked for later are
  // ignored, and a retryable answer is not retried. Only the tasks already at a worker
  // finish; their items may still complete. drained() once the last of them came back.
  void stop();
  bool stopped() const { return dispatch_stopped_; }
  bool drained() const { return dispatch_stopped_ && tasks_.empty(); }
  bool request_outstanding() const { return requested_ != 0; }
  std::uint64_t in_window() const { return in_window_; }

  // -- workers and calls -----------------------------------------------------------------
  std::size_t add_worker(std::uint32_t capacity);
  void add_calls(call_batch&& batch);
  // Hands pending tasks to workers with free credit, as far as the rate limits allow.
  dispatch_plan dispatch(clock::time_point now);
  // An answer to anything but a task's current attempt at a worker is dropped and counted:
  // stale when the task was one of this core's (it finished, was retried or taken back since),
  // unknown when it never was (another epoch or batch, or a counter never handed out).
  void on_results(result_batch&& batch, clock::time_point now, result_effects& out);
  void retry_due(const task_key& key);

  std::size_t pending() const;
  std::size_t in_flight() const { return tasks_.size(); }
  // The long hold the last dispatch found, if any: the latest over all endpoints.
  const std::optional<long_hold>& long_hold_now() const { return hold_; }
  std::uint64_t stale_results() const { return stale_results_; }
  std::uint64_t unknown_results() const { return unknown_results_; }

 private:
  struct task_record {
    std::uint64_t seq = 0;
    flow::call_request call;
    std::uint32_t attempt = 1;
    std::uint32_t rate_limited = 0;  // attempts answered 429
    std::size_t worker = 0;
    std::uint32_t endpoint = 0;
    std::uint64_t estimated_tokens = 0;
    clock::time_point sent_at{};
    bool at_worker = false;
  };
  struct endpoint {
    providers::rate_limiter limiter;
    std::deque<task_key> pending;  // tasks ready to dispatch, oldest first
    // The latest a 429's retry waits until, and what set that wait: calls held back too.
    clock::time_point retry_hold_until{};
    std::string_view retry_hold_source;
  };
  struct key_hash {
    std::size_t operator()(const task_key& k) const noexcept {
      // Within a core only the counter varies; the rest keeps foreign keys apart.
      return std::hash<std::uint64_t>{}(k.counter ^ (k.epoch * 0x9e3779b97f4a7c15ULL) ^
                                        (k.batch * 0xc2b2ae3d27d4eb4fULL));
    }
  };
  struct worker_slot {
    std::uint32_t capacity = 0;
    std::uint32_t credit = 0;
  };

  bool is_ours(const task_key& key) const {
    return key.epoch == options_.epoch && key.batch == options_.batch && key.counter != 0 &&
           key.counter < next_counter_;
  }
  void finish(task_record& record, attempt_result& result, result_effects& out);
  void report_to_limiter(const task_record& record, const attempt_result& result,
                         clock::time_point now);
  // Takes up to `room` tasks the rate limits let go now, oldest first per endpoint.
  std::deque<task_key> release(std::size_t room, clock::time_point now,
                               std::optional<clock::time_point>& wake_at,
                               std::optional<long_hold>& longest);
  void hold_for_retry(endpoint& e, std::optional<std::chrono::milliseconds> retry_after,
                      std::chrono::milliseconds delay, clock::time_point now);
  // Keeps what the user was told of in step with what holds now; true when that changed.
  bool note_hold(std::optional<long_hold> longest, clock::time_point now);

  options options_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> unit_{0.0, 1.0};
  std::uint64_t in_window_ = 0;
  std::uint64_t requested_ = 0;
  bool stopped_ = false;
  bool dispatch_stopped_ = false;
  providers::failure_watch failures_;
  std::uint64_t next_counter_ = 1;
  std::vector<worker_slot> workers_;
  std::size_t next_worker_ = 0;
  std::vector<endpoint> endpoints_;
  std::size_t next_endpoint_ = 0;
  std::unordered_map<task_key, task_record, key_hash> tasks_;
  std::optional<long_hold> hold_;
  std::uint64_t stale_results_ = 0;
  std::uint64_t unknown_results_ = 0;
};

}  // namespace parallm::actors
