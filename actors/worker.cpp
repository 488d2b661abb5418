#include "actors/worker.hpp"

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/actor_faults.hpp"
#include "flow/call_profile.hpp"
#include "providers/chat_api.hpp"
#include "providers/endpoint.hpp"
#include "providers/key_redaction.hpp"
#include "providers/sim_batch.hpp"
#include "providers/sim_provider.hpp"

namespace parallm::actors {
namespace {

// Sim calls with latency come back to the worker as this message once their delay passed.
using worker_impl = worker_actor::extend<caf::reacts_to<delayed_atom, attempt_result>>;

using profile_list = std::shared_ptr<const std::vector<flow::call_profile>>;

struct worker_state {
  std::unordered_map<std::uint64_t, profile_list> batches;  // batch -> its call profiles
  result_sink_actor sink;
  std::shared_ptr<providers::http_engine> http;
  std::unordered_map<std::string, std::string> keys;  // variable name -> its value, read once
  fault_countdown fault{"worker"};
  static inline const char* name = "parallm.worker";
};

using self_pointer = worker_impl::stateful_pointer<worker_state>;

// An answer names the attempt it answers, so the coordinator can tell a late one.
attempt_result answer_to(const task& t) {
  attempt_result result;
  result.key = t.key;
  result.attempt = t.attempt;
  result.generation = t.generation;
  return result;
}

attempt_result final_failure(const task& t, std::string error) {
  auto result = answer_to(t);
  result.outcome.kind = providers::outcome_kind::final;
  result.outcome.error = std::move(error);
  return result;
}

void send_one(const result_sink_actor& sink, attempt_result result) {
  result_batch one;
  one.results.push_back(std::move(result));
  caf::anon_send(sink, results_atom::value, std::move(one));
}

// A task names its batch and profile; one that names neither a batch this worker was given
// nor one of its profiles fails, rather than being trusted.
const profile_list* profiles_of(const worker_state& st, const task& t) {
  const auto it = st.batches.find(t.key.batch);
  if (it == st.batches.end() || !it->second || t.profile >= it->second->size()) return nullptr;
  return &it->second;
}

attempt_result run_sim(const flow::call_profile& profile, const task& t,
                       std::chrono::microseconds& delay) {
  const auto& sim = profile.endpoint.sim;
  // A Batch API line's body is answered as an endpoint would, so the line gets its envelope.
  auto answer = profile.passthrough
                    ? providers::sim_batch_call(sim, t.prompt, t.attempt)
                    : providers::sim_call(sim, t.prompt, t.element, t.attempt, profile.max_tokens);
  delay = answer.delay;
  auto result = answer_to(t);
  result.outcome = std::move(answer.outcome);
  result.latency_ms = std::chrono::duration<double, std::milli>(answer.delay).count();
  return result;
}

// A pass-through call's system is the Batch line's url path (config::node_spec): one the
// Batch API does not serve fails the line, naming it, before anything is sent. Anthropic
// endpoints take every body at /messages.
std::optional<attempt_result> refuse_batch_url(const flow::call_profile& profile, const task& t) {
  if (!profile.passthrough) return std::nullopt;
  if (profile.endpoint.kind == config::provider_kind::anthropic) return std::nullopt;
  if (providers::batch_request_url("", t.system)) return std::nullopt;
  return final_failure(t, "url '" + t.system +
                              "' is not an endpoint the Batch API serves (expected " +
                              providers::batch_paths_text() + ")");
}

const std::string& api_key(worker_state& st, const std::string& variable) {
  auto it = st.keys.find(variable);
  if (it == st.keys.end()) {
    const char* value = variable.empty() ? nullptr : std::getenv(variable.c_str());
    it = st.keys.emplace(variable, value ? value : "").first;
  }
  return it->second;
}

// Hands the call to the HTTP engine; its answer goes straight to the sink from the engine's
// thread, read and classified there so the actors only route the result.
void run_http(worker_state& st, const profile_list& profiles, const task& t) {
  const auto& profile = (*profiles)[t.profile];
  const auto& endpoint = profile.endpoint;
  if (!st.http) return send_one(st.sink, final_failure(t, "no HTTP engine"));
  providers::chat_call call{t.prompt, t.system, profile.temperature, profile.max_tokens,
                            profile.params};
  call.n = static_cast<int>(t.count);
  const auto& key = api_key(st, endpoint.api_key_env);
  const bool passthrough = profile.passthrough;
  auto request = passthrough ? providers::build_passthrough_request(endpoint, t.prompt, key,
                                                                    profile.timeout, t.system)
                             : providers::build_chat_request(endpoint, call, key, profile.timeout);
  st.http->submit(
      std::move(request), [profiles, sink = st.sink, index = t.profile, passthrough, key,
                           result = answer_to(t)](providers::http_response response) mutable {
        const auto& spec = (*profiles)[index].endpoint;
        const auto now = std::chrono::system_clock::now();
        result.outcome = passthrough ? providers::read_passthrough_response(spec, response, now)
                                     : providers::read_chat_response(spec, response, now);
        // An upstream may quote the key back; nothing parallm writes may hold it.
        providers::redact_key(result.outcome, key);
        result.latency_ms = std::chrono::duration<double, std::milli>(response.elapsed).count();
        result.rate = providers::read_rate_headers(response.rate_limit_headers, now);
        send_one(sink, std::move(result));
      });
}

worker_impl::behavior_type worker_behavior(self_pointer self, result_sink_actor sink,
                                           std::shared_ptr<providers::http_engine> http) {
  self->state.sink = std::move(sink);
  self->state.http = std::move(http);
  report_exceptions(self);
  return {
      [=](profiles_atom, batch_profiles& given) {
        self->state.batches[given.batch] = std::move(given.profiles);
      },
      [=](tasks_atom, task_batch& batch) {
        auto& st = self->state;
        st.fault.tick();
        result_batch now;
        for (const auto& t : batch.tasks) {
          const auto* profiles = profiles_of(st, t);
          if (!profiles) {
            now.results.push_back(final_failure(t, "no call profile " + std::to_string(t.profile) +
                                                       " for batch " +
                                                       std::to_string(t.key.batch)));
            continue;
          }
          const auto& profile = (**profiles)[t.profile];
          if (auto refused = refuse_batch_url(profile, t)) {
            now.results.push_back(std::move(*refused));
            continue;
          }
          if (profile.endpoint.kind != config::provider_kind::sim) {
            run_http(st, *profiles, t);
            continue;
          }
          std::chrono::microseconds delay{0};
          auto result = run_sim(profile, t, delay);
          if (delay.count() == 0) {
            now.results.push_back(std::move(result));
          } else {
            self->delayed_send(self, delay, delayed_atom::value, std::move(result));
          }
        }
        if (!now.results.empty()) self->send(st.sink, results_atom::value, std::move(now));
      },
      [=](delayed_atom, attempt_result& result) { send_one(self->state.sink, std::move(result)); },
  };
}

}  // namespace

worker_actor spawn_worker(caf::actor_system& system, result_sink_actor sink,
                          std::shared_ptr<providers::http_engine> http) {
  return system.spawn(worker_behavior, std::move(sink), std::move(http));
}

}  // namespace parallm::actors
