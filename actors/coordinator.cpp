#include "actors/coordinator.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/actor_faults.hpp"
#include "batch/human_format.hpp"

namespace parallm::actors {
namespace {

// The reclaim timer is the coordinator's own business, not part of its interface.
using coordinator_impl = coordinator_actor::extend<caf::reacts_to<reclaim_atom>>;

struct coordinator_state {
  std::optional<dispatch_core> core;  // set when the actor starts
  reader_actor reader;
  reducer_actor reducer;
  std::unordered_map<dispatch_core::worker_id, worker_actor> workers;
  dispatch_core::clock::duration task_deadline{};
  bool reclaim_armed = false;
  std::uint64_t admitted = 0;
  bool end_sent = false;
  bool drained_sent = false;
  bool reader_lost = false;  // the reader died: the input did not end, it was cut
  fault_countdown fault{"coordinator"};
  // The earliest wake-up already asked for, while a rate limit holds calls back.
  std::optional<dispatch_core::clock::time_point> wake_armed;
  static inline const char* name = "parallm.coordinator";
};

using self_pointer = coordinator_impl::stateful_pointer<coordinator_state>;

// Tells the reducer, which owns stderr, what holds calls back for long, or that nothing does.
void tell_hold(self_pointer self, dispatch_core::clock::time_point now) {
  std::string note;
  if (const auto& hold = self->state.core->long_hold_now()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::system_clock::duration>(hold->until - now);
    note = batch::hold_note(hold->source, std::chrono::system_clock::now() + left);
  }
  self->send(self->state.reducer, held_atom::value, std::move(note));
}

// After a stop: once the last task at a worker came back, the reducer writes what finished.
void report_drained(self_pointer self) {
  auto& st = self->state;
  if (st.drained_sent || !st.core->drained()) return;
  st.drained_sent = true;
  self->send(st.reducer, drained_atom::value);
}

// While tasks are at workers and they have a deadline, look for overdue ones once a second
// (or once per deadline, if shorter): a lost task is redone within that of its deadline.
void arm_reclaim(self_pointer self) {
  auto& st = self->state;
  if (st.reclaim_armed || st.task_deadline <= dispatch_core::clock::duration::zero() ||
      st.core->at_workers() == 0) {
    return;
  }
  st.reclaim_armed = true;
  const auto every = std::min<std::chrono::microseconds>(
      std::chrono::ceil<std::chrono::microseconds>(st.task_deadline), std::chrono::seconds(1));
  self->delayed_send(self, every, reclaim_atom::value);
}

void send_tasks(self_pointer self) {
  auto& st = self->state;
  st.fault.tick();
  report_drained(self);
  const auto now = dispatch_core::clock::now();
  auto plan = st.core->dispatch(now);
  if (plan.hold_changed) tell_hold(self, now);
  for (auto& [worker, batch] : plan.batches) {
    self->send(st.workers.at(worker), tasks_atom::value, std::move(batch));
  }
  arm_reclaim(self);
  // One timer at a time, for the earliest moment a held-back call may go.
  if (plan.wake_at && (!st.wake_armed || *plan.wake_at < *st.wake_armed)) {
    st.wake_armed = plan.wake_at;
    const auto delay = std::chrono::ceil<std::chrono::microseconds>(*plan.wake_at - now);
    self->delayed_send(self, std::max(delay, std::chrono::microseconds(1)), tick_atom::value);
  }
}

// The id a joined worker has here, found by its actor's address; nullopt when it has none.
std::optional<dispatch_core::worker_id> joined_id(self_pointer self, const worker_actor& worker) {
  for (const auto& [id, actor] : self->state.workers) {
    if (actor.address() == worker.address()) return id;
  }
  return std::nullopt;
}

void announce_end(self_pointer self) {
  auto& st = self->state;
  if (st.end_sent || st.reader_lost || st.core->request_outstanding()) return;
  st.end_sent = true;
  self->send(st.reducer, input_end_atom::value, st.admitted);
}

void request_items(self_pointer self) {
  auto& st = self->state;
  if (!st.core->admitting()) return announce_end(self);
  const auto n = st.core->items_to_request();
  if (n == 0) return;
  st.core->mark_requested(n);
  self->request(st.reader, caf::infinite, want_atom::value, n)
      .then(
          [=](item_batch& batch) {
            auto& s = self->state;
            // Abandoned by a stop: these lines were read but are not run (--resume runs them).
            if (s.core->stopped()) return;
            s.core->mark_admitted(batch.items.size());
            s.admitted += batch.items.size();
            if (batch.end_of_input) s.core->stop_admitting();
            if (!batch.items.empty() || batch.skipped != 0 || !batch.read_error.empty()) {
              self->send(s.reducer, admit_atom::value, std::move(batch));
            }
            request_items(self);
          },
          [=](caf::error&) {
            // The reader died: admit nothing more, but do not announce an end either, which
            // would let the run finish as if the input were complete. The run watch ends the
            // run with the reader's exit reason.
            self->state.reader_lost = true;
            self->state.core->mark_admitted(0);
            self->state.core->stop_admitting();
          });
}

coordinator_impl::behavior_type coordinator_behavior(self_pointer self, coordinator_options options,
                                                     reader_actor reader, reducer_actor reducer) {
  self->state.task_deadline = options.task_deadline;
  self->state.core.emplace(options);
  report_exceptions(self);
  self->state.reader = std::move(reader);
  self->state.reducer = std::move(reducer);
  self->send(self->state.reducer, attach_atom::value, caf::actor_cast<dispatcher_actor>(self));
  request_items(self);
  return {
      [=](join_atom, worker_actor worker, std::uint32_t capacity) {
        // A second join (a remote worker announcing itself again) must not count its slots
        // twice.
        if (const auto id = joined_id(self, worker)) {
          self->state.core->set_capacity(*id, capacity);
        } else {
          const auto added = self->state.core->add_worker(capacity);
          self->state.workers.emplace(added, std::move(worker));
        }
        send_tasks(self);
      },
      [=](resize_atom, const worker_actor& worker, std::uint32_t capacity) {
        if (const auto id = joined_id(self, worker)) {
          self->state.core->set_capacity(*id, capacity);
          send_tasks(self);
        }
      },
      [=](leave_atom, const worker_actor& worker) {
        const auto id = joined_id(self, worker);
        if (!id) return;
        self->state.core->remove_worker(*id);
        self->state.workers.erase(*id);
        send_tasks(self);
      },
      [=](calls_atom, call_batch& batch) {
        self->state.core->add_calls(std::move(batch));
        send_tasks(self);
      },
      [=](results_atom, result_batch& batch) {
        dispatch_core::result_effects effects;
        self->state.core->on_results(std::move(batch), dispatch_core::clock::now(), effects);
        for (const auto& r : effects.retries) {
          self->delayed_send(self, r.delay, retry_atom::value, r.key);
        }
        if (!effects.finished.calls.empty()) {
          self->send(self->state.reducer, finished_atom::value, std::move(effects.finished));
        }
        if (effects.stopped) self->send(self->state.reducer, stop_atom::value, *effects.stopped);
        send_tasks(self);
      },
      [=](retry_atom, const task_key& key) {
        self->state.core->retry_due(key);
        send_tasks(self);
      },
      [=](tick_atom) {
        // Forget the armed time even if this tick came early: send_tasks arms a new one if
        // calls are still held back, so a held-back call can never be left without a timer.
        self->state.wake_armed.reset();
        send_tasks(self);
      },
      [=](reclaim_atom) {
        self->state.reclaim_armed = false;
        self->state.core->reclaim_overdue(dispatch_core::clock::now());
        send_tasks(self);
      },
      [=](released_atom, std::uint64_t n) {
        self->state.core->mark_released(n);
        request_items(self);
      },
      [=](stop_atom) {
        self->state.core->stop();
        report_drained(self);
      },
  };
}

}  // namespace

coordinator_actor spawn_coordinator(caf::actor_system& system, coordinator_options options,
                                    reader_actor reader, reducer_actor reducer) {
  return system.spawn(coordinator_behavior, options, std::move(reader), std::move(reducer));
}

}  // namespace parallm::actors
