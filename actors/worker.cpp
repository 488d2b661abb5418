#include "actors/worker.hpp"

#include <chrono>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "providers/sim_provider.hpp"

namespace parallm::actors {
namespace {

// Sim calls with latency come back to the worker as this message once their delay passed.
using worker_impl = worker_actor::extend<caf::reacts_to<delayed_atom, attempt_result>>;

struct worker_state {
  std::shared_ptr<const flow::graph> graph;
  result_sink_actor sink;
  static inline const char* name = "parallm.worker";
};

attempt_result run_sim(const flow::graph& graph, const task& t, std::chrono::microseconds& delay) {
  const auto& node = graph.nodes()[t.node];
  const auto& provider = graph.providers()[node.provider];
  if (provider.kind != config::provider_kind::sim) {
    delay = std::chrono::microseconds{0};
    providers::call_outcome outcome;
    outcome.kind = providers::outcome_kind::final;
    outcome.error = "provider kind not supported by this worker yet (only sim)";
    return {t.task_id, std::move(outcome), 0};
  }
  auto answer =
      providers::sim_call(provider.sim, t.prompt, t.element, t.attempt, node.spec.max_tokens);
  delay = answer.delay;
  return {t.task_id, std::move(answer.outcome),
          std::chrono::duration<double, std::milli>(answer.delay).count()};
}

worker_impl::behavior_type worker_behavior(worker_impl::stateful_pointer<worker_state> self,
                                           std::shared_ptr<const flow::graph> graph,
                                           result_sink_actor sink) {
  self->state.graph = std::move(graph);
  self->state.sink = std::move(sink);
  return {
      [=](tasks_atom, task_batch& batch) {
        result_batch now;
        for (const auto& t : batch.tasks) {
          std::chrono::microseconds delay{0};
          auto result = run_sim(*self->state.graph, t, delay);
          if (delay.count() == 0) {
            now.results.push_back(std::move(result));
          } else {
            self->delayed_send(self, delay, delayed_atom::value, std::move(result));
          }
        }
        if (!now.results.empty()) self->send(self->state.sink, results_atom::value, std::move(now));
      },
      [=](delayed_atom, attempt_result& result) {
        result_batch one;
        one.results.push_back(std::move(result));
        self->send(self->state.sink, results_atom::value, std::move(one));
      },
  };
}

}  // namespace

worker_actor spawn_worker(caf::actor_system& system, std::shared_ptr<const flow::graph> graph,
                          result_sink_actor sink) {
  return system.spawn(worker_behavior, std::move(graph), std::move(sink));
}

}  // namespace parallm::actors
