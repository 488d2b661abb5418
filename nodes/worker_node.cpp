#include "nodes/worker_node.hpp"

#include <algorithm>
#include <cstdio>
#include <unordered_map>
#include <utility>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/worker.hpp"
#include "nodes/result_frames.hpp"
#include "providers/http_engine.hpp"

namespace parallm::nodes {
namespace {

using sink_impl = actors::result_sink_actor::extend<caf::reacts_to<actors::flush_atom>>;

struct sink_state {
  std::vector<actors::attempt_result> pending;
  bool flush_queued = false;
  static inline const char* name = "parallm.result_sink";
};

void flush(sink_state& st, const worker_node_options& options) {
  if (st.pending.empty()) return;
  const auto count = st.pending.size();
  auto encoded = result_frames(std::move(st.pending), options.limits->get());
  st.pending.clear();
  // Counted first, so that whoever sees a frame arrive sees it counted.
  options.counters->results += count;
  options.counters->frames += encoded.frames.size();
  options.counters->too_large += encoded.too_large;
  for (auto& f : encoded.frames) options.post(std::move(f));
}

sink_impl::behavior_type sink_behavior(sink_impl::stateful_pointer<sink_state> self,
                                       worker_node_options options) {
  return {
      [=](actors::results_atom, actors::result_batch& batch) {
        auto& st = self->state;
        if (st.pending.empty()) {
          st.pending = std::move(batch.results);
        } else {
          std::move(batch.results.begin(), batch.results.end(), std::back_inserter(st.pending));
        }
        // A full frame's worth goes out now; less waits for the answers already queued.
        if (st.pending.size() >= options.limits->get().max_items) return flush(st, options);
        if (!st.flush_queued) {
          st.flush_queued = true;
          self->send(self, actors::flush_atom::value);
        }
      },
      [=](actors::flush_atom) {
        self->state.flush_queued = false;
        flush(self->state, options);
      },
  };
}

using profile_list = std::shared_ptr<const std::vector<flow::call_profile>>;

struct node_state {
  std::vector<actors::worker_actor> workers;
  std::size_t next = 0;  // the worker the next tasks go to
  std::unordered_map<std::uint64_t, profile_list> batches;
  std::shared_ptr<providers::http_engine> http;
  actors::result_sink_actor sink;
  static inline const char* name = "parallm.worker_node";
};

using node_pointer = worker_node_actor::stateful_pointer<node_state>;

bool needs_http(const std::vector<flow::call_profile>& profiles) {
  return std::any_of(profiles.begin(), profiles.end(),
                     [](const auto& p) { return p.endpoint.kind != config::provider_kind::sim; });
}

profile_list rewritten(const profile_list& given, const std::vector<endpoint_rewrite>& map) {
  if (!given || map.empty()) return given;
  auto copy = *given;
  for (auto& p : copy) p.endpoint.base_url = rewrite_endpoint(p.endpoint.base_url, map);
  return std::make_shared<const std::vector<flow::call_profile>>(std::move(copy));
}

std::shared_ptr<providers::http_engine> make_http(const worker_node_options& options) {
  providers::http_engine_options http;
  // Every call in flight may need a connection of its own; keep-alive reuses them.
  http.max_connections_per_host = static_cast<long>(std::max<std::uint32_t>(options.capacity, 1));
  http.max_total_connections = http.max_connections_per_host * 4;
  // An answer larger than a frame cannot reach the coordinator anyway.
  http.max_response_bytes = options.limits->get().max_frame_bytes;
  options.counters->http_engines += 1;
  return std::make_shared<providers::http_engine>(http);
}

// A fresh set of workers, holding the profiles kept. The old ones are unlinked and let go:
// they finish the calls they hold, answer to the sink, and end once nothing refers to them.
void renew_workers(node_pointer self, const worker_node_options& options) {
  auto& st = self->state;
  for (auto& w : st.workers) self->unlink_from(w);
  st.workers.clear();
  for (std::size_t i = 0; i < std::max<std::size_t>(options.workers, 1); ++i) {
    auto w = actors::spawn_worker(self->system(), st.sink, st.http);
    self->link_to(w);
    for (const auto& [batch, profiles] : st.batches) {
      self->send(w, actors::profiles_atom::value, actors::batch_profiles{batch, profiles});
    }
    st.workers.push_back(std::move(w));
  }
  st.next = 0;
}

// Spreads a frame's tasks over the workers in contiguous shares, starting where the last
// frame stopped, so small frames also rotate.
void hand_out(node_pointer self, actors::task_batch& batch) {
  auto& st = self->state;
  const auto n = st.workers.size();
  const auto total = batch.tasks.size();
  const auto shares = std::min(n, total);
  std::size_t begin = 0;
  for (std::size_t s = 0; s < shares; ++s) {
    const auto end = total * (s + 1) / shares;
    actors::task_batch part;
    if (shares == 1) {
      part = std::move(batch);
    } else {
      part.tasks.assign(std::make_move_iterator(batch.tasks.begin() + begin),
                        std::make_move_iterator(batch.tasks.begin() + end));
    }
    self->send(st.workers[st.next], actors::tasks_atom::value, std::move(part));
    st.next = (st.next + 1) % n;
    begin = end;
  }
}

worker_node_actor::behavior_type node_behavior(node_pointer self, worker_node_options options) {
  self->state.sink = spawn_result_sink(self->system(), options);
  self->link_to(self->state.sink);
  renew_workers(self, options);
  return {
      [=](actors::profiles_atom, actors::batch_profiles& given) {
        auto& st = self->state;
        auto profiles = rewritten(given.profiles, options.endpoint_map);
        st.batches[given.batch] = profiles;
        if (!st.http && profiles && needs_http(*profiles)) {
          // The workers hold their engine from birth: new ones take the new engine and every
          // profile kept, this batch's included.
          st.http = make_http(options);
          return renew_workers(self, options);
        }
        for (auto& w : st.workers) {
          self->send(w, actors::profiles_atom::value,
                     actors::batch_profiles{given.batch, profiles});
        }
      },
      [=](actors::tasks_atom, actors::task_batch& batch) { hand_out(self, batch); },
      [=](forget_atom) {
        self->state.batches.clear();
        renew_workers(self, options);
      },
  };
}

}  // namespace

actors::result_sink_actor spawn_result_sink(caf::actor_system& system,
                                            const worker_node_options& options) {
  return system.spawn(sink_behavior, options);
}

worker_node_actor spawn_worker_node(caf::actor_system& system, worker_node_options options) {
  return system.spawn(node_behavior, std::move(options));
}

worker_node_listener::worker_node_listener(std::string name, std::string endpoint, log_level level)
    : name_(std::move(name)), endpoint_(std::move(endpoint)), level_(level) {}

void worker_node_listener::on_profiles(actors::batch_profiles profiles) {
  if (level_ >= log_level::debug) {
    std::fprintf(stderr, "parallm worker %s: profiles for batch %llu\n", name_.c_str(),
                 static_cast<unsigned long long>(profiles.batch));
  }
  caf::anon_send(node_, actors::profiles_atom::value, std::move(profiles));
}

void worker_node_listener::on_tasks(actors::task_batch tasks) {
  caf::anon_send(node_, actors::tasks_atom::value, std::move(tasks));
}

void worker_node_listener::on_coordinator_restarted() {
  if (level_ >= log_level::warn) {
    std::fprintf(
        stderr, "parallm worker %s: the coordinator at %s restarted; its old batches are dropped\n",
        name_.c_str(), endpoint_.c_str());
  }
  caf::anon_send(node_, forget_atom::value);
}

void worker_node_listener::on_joined(const welcome& w, bool again) {
  if (level_ < log_level::info) return;
  std::fprintf(stderr, "parallm worker %s: %s coordinator at %s (epoch %016llx)\n", name_.c_str(),
               again ? "back with" : "joined", endpoint_.c_str(),
               static_cast<unsigned long long>(w.epoch));
}

void worker_node_listener::on_lost() {
  if (level_ < log_level::warn) return;
  std::fprintf(stderr,
               "parallm worker %s: lost the coordinator at %s; saying hello until it answers\n",
               name_.c_str(), endpoint_.c_str());
}

}  // namespace parallm::nodes
