#pragma once
// The coordinator's bookkeeping without the actor: the admission window, the queues of calls
// waiting for a worker (one per provider endpoint, each behind its rate limiter), the workers
// that come and go with their credit, the in-flight task table with each task's deadline, and
// the retry decision.
// The coordinator actor only routes messages to it, so all of this is unit-testable.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
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
#include "providers/shared_rate_limiter.hpp"

namespace parallm::actors {

class dispatch_core {
 public:
  using clock = std::chrono::steady_clock;
  // Never reused, so a worker that joins after another left cannot be taken for it.
  using worker_id = std::uint64_t;

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
    // Endpoint i's limiter when other batches share it (actors/limiter_registry.hpp); a
    // missing or null one is made fresh from endpoints[i], the core's own.
    std::vector<std::shared_ptr<providers::shared_rate_limiter>> limiters;
    std::vector<std::uint32_t> node_endpoint;         // node index -> endpoint; default 0
    std::vector<std::optional<int>> node_max_tokens;  // for the token estimate of a call
    std::vector<std::uint32_t> node_profile;          // node index -> its call profile; default 0
    // A rate limit holding calls back longer than this is told to the user.
    clock::duration long_hold_after = std::chrono::seconds{10};
    // How long a task may stay at a worker before it counts as lost from it: the call's
    // timeout plus a grace for the way there and back. Zero: never (`parallm run`, whose
    // workers live in its process; one that dies ends the run).
    clock::duration task_deadline{};
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
    std::vector<std::pair<worker_id, task_batch>> batches;
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

  // -- workers -------------------------------------------------------------------------
  // A worker that takes up to `capacity` tasks at a time; it gets work at the next dispatch.
  worker_id add_worker(std::uint32_t capacity);
  // A remote worker's slots are shared by the batches it serves, so each batch's share
  // changes as batches start and end. Tasks already at the worker finish normally when its
  // share shrinks below what it holds; it gets no new ones until it holds fewer than its new
  // capacity. 0 is allowed: nothing from this batch for now. False for a worker not here.
  bool set_capacity(worker_id id, std::uint32_t capacity);
  // The worker left or is presumed dead: it gets nothing more, and its tasks are taken back
  // (below). Returns how many; 0 for a worker that is not here.
  std::size_t remove_worker(worker_id id);
  // Takes back every task at a worker past task_deadline, as lost from that worker, which
  // gets its slot back (a slow worker stays; a silent one stays until it is removed).
  std::size_t reclaim_overdue(clock::time_point now);
  // A task taken back goes to the front of its endpoint's queue (those taken back together
  // oldest first, ahead of any taken back before) with the same attempt: a lost attempt is
  // not charged to max_retries, and a redone call asks the endpoint exactly what the lost one
  // did. Its generation (task::generation) is bumped instead, so the answer the worker may
  // still send is stale, even when the redo went to that same worker. The lost attempt's
  // rate-limit charge stays: it may have reached the endpoint, whose own window counts it,
  // and a refund could take the endpoint over its limit; the redo is charged as the new
  // request it is. After a stop, tasks taken back are dropped like the queued ones: their
  // items are left for --resume.

  // Free slots of a worker (capacity less the tasks it holds, 0 when it holds more); nullopt
  // for one that is not here.
  std::optional<std::uint32_t> credit(worker_id id) const;
  std::size_t workers() const { return workers_.size(); }

  // -- calls -----------------------------------------------------------------------------
  void add_calls(call_batch&& batch);
  // Hands pending tasks to workers with free credit, as far as the rate limits allow.
  dispatch_plan dispatch(clock::time_point now);
  // An answer to anything but a task's current attempt at a worker is dropped and counted:
  // stale when the task was one of this core's (it finished, was retried or taken back since),
  // unknown when it never was (another epoch or batch, or a counter never handed out).
  void on_results(result_batch&& batch, clock::time_point now, result_effects& out);
  void retry_due(const task_key& key);

  std::size_t pending() const;
  std::size_t in_flight() const { return tasks_.size(); }  // queued, waiting or at a worker
  std::size_t at_workers() const { return at_workers_; }
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
    std::uint32_t generation = 0;
    worker_id worker = 0;
    std::uint32_t endpoint = 0;
    std::uint64_t estimated_tokens = 0;
    clock::time_point sent_at{};
    clock::time_point deadline{};
    bool at_worker = false;
  };
  struct endpoint {
    std::shared_ptr<providers::shared_rate_limiter> limiter;
    std::deque<std::uint64_t> pending;  // counters of tasks ready to dispatch, oldest first
    // The latest a 429's retry waits until, and what set that wait: calls held back too.
    clock::time_point retry_hold_until{};
    std::string_view retry_hold_source;
  };
  struct worker_slot {
    worker_id id = 0;
    std::uint32_t capacity = 0;
    std::uint32_t in_use = 0;  // tasks at the worker; may exceed a capacity that shrank
    std::uint32_t credit() const { return capacity > in_use ? capacity - in_use : 0; }
  };

  bool is_ours(const task_key& key) const {
    return key.epoch == options_.epoch && key.batch == options_.batch && key.counter != 0 &&
           key.counter < next_counter_;
  }
  std::size_t worker_index(worker_id id) const;  // workers_.size() when it is not here
  std::uint32_t profile_of(flow::node_index node) const {
    return node < options_.node_profile.size() ? options_.node_profile[node] : 0;
  }
  void give_back_slot(worker_id id);
  // Takes back the tasks at workers that `lost` picks (see reclaim_overdue).
  template <class Lost>
  std::size_t take_back(Lost lost);
  void finish(task_record& record, attempt_result& result, result_effects& out);
  void report_to_limiter(const task_record& record, const attempt_result& result,
                         clock::time_point now);
  // Takes up to `room` tasks the rate limits let go now, oldest first per endpoint.
  std::deque<std::uint64_t> release(std::size_t room, clock::time_point now,
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
  std::vector<worker_slot> workers_;  // ordered by id
  worker_id next_worker_id_ = 1;
  std::size_t next_worker_ = 0;  // index into workers_: whose turn it is
  std::size_t at_workers_ = 0;
  std::vector<endpoint> endpoints_;
  std::size_t next_endpoint_ = 0;
  // By counter: a core serves one epoch and batch, which on_results checks first.
  std::unordered_map<std::uint64_t, task_record> tasks_;
  std::optional<long_hold> hold_;
  std::uint64_t stale_results_ = 0;
  std::uint64_t unknown_results_ = 0;
};

}  // namespace parallm::actors
