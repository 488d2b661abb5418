#include "nodes/remote_worker.hpp"

#include <unordered_set>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/messages.hpp"
#include "nodes/frame_split.hpp"
#include "nodes/wire_codec.hpp"
#include "nodes/wire_convert.hpp"

namespace parallm::nodes {
namespace {

using proxy_impl = remote_worker_actor::extend<caf::reacts_to<actors::flush_atom>>;

struct proxy_state {
  remote_worker_options options;
  actors::task_batch pending;
  bool flush_queued = false;
  // Batches the worker was told to forget. A cancelled batch's coordinator may still have
  // tasks on the way here (it is not the sender of forget, so nothing orders the two), and one
  // such task in a frame makes the worker refuse the whole frame: the other batches' tasks in
  // it would fail for nothing. Batch numbers are never reused, so a forgotten one stays so.
  std::unordered_set<std::uint64_t> forgotten;
  static inline const char* name = "parallm.remote_worker";
};

using self_pointer = proxy_impl::stateful_pointer<proxy_state>;

void send_pending(proxy_state& st) {
  if (st.pending.tasks.empty()) return;
  if (st.options.tasks_sent) *st.options.tasks_sent += st.pending.tasks.size();
  auto split = encode_split(to_wire(std::move(st.pending)), st.options.limits);
  for (auto& frame : split.frames) {
    st.options.post(workers_socket, st.options.routing_id, std::move(frame));
  }
  // A prompt too large to send fails its call, as a worker would fail an answer too large.
  if (!split.oversized.empty() && st.options.refused) {
    actors::result_batch failed;
    for (const auto& t : split.oversized) {
      actors::attempt_result r;
      r.key = t.key;
      r.attempt = t.attempt;
      r.generation = t.generation;
      r.outcome.kind = providers::outcome_kind::final;
      r.outcome.error = "prompt too large to send to a worker (" +
                        std::to_string(t.prompt.size() + t.system.size()) + " bytes)";
      failed.results.push_back(std::move(r));
    }
    st.options.refused(std::move(failed));
  }
  st.pending.tasks.clear();
}

proxy_impl::behavior_type proxy_behavior(self_pointer self, remote_worker_options options) {
  self->state.options = std::move(options);
  return {
      [=](actors::profiles_atom, actors::batch_profiles& profiles) {
        auto& st = self->state;
        // Before the batch's first task, which may be pending already.
        send_pending(st);
        st.options.post(workers_socket, st.options.routing_id, encode(to_wire(profiles)));
      },
      [=](actors::tasks_atom, actors::task_batch& batch) {
        auto& st = self->state;
        // No one waits for a forgotten batch's answers: its session is gone.
        std::erase_if(batch.tasks,
                      [&](const actors::task& t) { return st.forgotten.count(t.key.batch) > 0; });
        if (batch.tasks.empty()) return;
        if (st.pending.tasks.empty()) {
          st.pending = std::move(batch);
        } else {
          for (auto& t : batch.tasks) st.pending.tasks.push_back(std::move(t));
        }
        if (!st.flush_queued) {
          st.flush_queued = true;
          self->send(self, actors::flush_atom::value);
        }
      },
      [=](actors::flush_atom) {
        self->state.flush_queued = false;
        send_pending(self->state);
      },
      [=](forget_atom, std::uint64_t batch) {
        auto& st = self->state;
        send_pending(st);
        st.forgotten.insert(batch);
        st.options.post(workers_socket, st.options.routing_id, encode(batch_profiles{batch, {}}));
      },
  };
}

}  // namespace

remote_worker_actor spawn_remote_worker(caf::actor_system& system, remote_worker_options options) {
  return system.spawn(proxy_behavior, std::move(options));
}

}  // namespace parallm::nodes
