#include "actors/run_watch.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/actor_faults.hpp"

namespace parallm::actors {
namespace {

struct watch_state {
  std::vector<watched_actor> actors;
  reducer_actor reducer;
  run_end_actor done;
  static inline const char* name = "parallm.run_watch";
};

using self_pointer = caf::stateful_actor<watch_state>*;

bool expected_exit(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::normal || reason == caf::exit_reason::user_shutdown;
}

void on_down(self_pointer self, const caf::down_msg& down) {
  if (expected_exit(down.reason)) return;
  auto& st = self->state;
  std::string label = "an actor";
  for (const auto& a : st.actors) {
    if (a.handle.address() == down.source) label = a.label;
  }
  auto error = label + " failed: " + describe_exit_reason(down.reason);
  if (down.source == st.reducer.address()) {
    run_report report{batch::run_stats(batch::run_stats::clock::now()), {}, std::move(error)};
    report.stats_lost = true;
    self->send(st.done, run_end_atom::value, std::move(report));
  } else {
    self->send(st.reducer, abort_atom::value, std::move(error));
  }
}

caf::behavior watch_behavior(self_pointer self, std::vector<watched_actor> actors,
                             reducer_actor reducer, run_end_actor done) {
  self->state.actors = std::move(actors);
  self->state.reducer = std::move(reducer);
  self->state.done = std::move(done);
  for (const auto& a : self->state.actors) self->monitor(a.handle);
  self->set_down_handler([=](caf::down_msg& down) { on_down(self, down); });
  // An actor with no handler at all would terminate at once; this one only waits.
  return {[](stop_atom) {}};
}

}  // namespace

caf::actor spawn_run_watch(caf::actor_system& system, std::vector<watched_actor> actors,
                           reducer_actor reducer, run_end_actor done) {
  return system.spawn(watch_behavior, std::move(actors), std::move(reducer), std::move(done));
}

}  // namespace parallm::actors
