#include "nodes/coordinator_node.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/coordinator.hpp"
#include "actors/coordinator_setup.hpp"
#include "actors/endpoint_setup.hpp"
#include "actors/limiter_registry.hpp"
#include "actors/reducer.hpp"
#include "actors/run_watch.hpp"
#include "flow/call_profile.hpp"
#include "flow/graph_load.hpp"
#include "nodes/batch_input.hpp"
#include "nodes/client_stream_sink.hpp"
#include "nodes/remote_worker.hpp"
#include "nodes/wire_codec.hpp"
#include "nodes/wire_convert.hpp"

namespace parallm::nodes {
namespace {

using clock = std::chrono::steady_clock;

struct remote {
  remote_worker_actor proxy;
  worker_hello hello;
  std::shared_ptr<std::atomic<std::uint64_t>> sent =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
};

struct session {
  std::string client;
  std::uint64_t client_batch = 0;
  std::string job;
  actors::coordinator_actor coordinator;
  actors::reducer_actor reducer;
  batch_input_actor input;
  caf::actor watch;
  std::shared_ptr<client_stream_sink> sink;
  actors::batch_profiles profiles;
  std::shared_ptr<std::atomic<std::uint64_t>> received =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  std::shared_ptr<std::atomic<bool>> ended = std::make_shared<std::atomic<bool>>(false);
  clock::time_point started = clock::now();
};

struct node_state {
  coordinator_node_options options;
  std::map<std::string, remote> workers;        // by routing id
  std::map<std::string, client_hello> clients;  // by routing id
  std::map<std::uint64_t, session> sessions;    // by the coordinator's batch number
  std::map<std::pair<std::string, std::uint64_t>, std::uint64_t> by_client;
  actors::limiter_registry limiters;
  std::uint64_t next_batch = 1;
  std::uint64_t stray_results = 0;  // results for a batch that ended, dropped
  static inline const char* name = "parallm.coordinator_node";
};

using self_pointer = coordinator_node_actor::stateful_pointer<node_state>;

void post(node_state& st, std::size_t socket, const std::string& id, const message& m) {
  st.options.post(socket, id, encode(m));
}

// Each running batch gets an equal part of each worker's capacity, so a batch submitted
// while another runs makes progress from its first tasks. The remainder of a division goes
// to a different batch on each worker, so small capacities still serve every batch somewhere.
void reshare(self_pointer self) {
  auto& st = self->state;
  const auto n = st.sessions.size();
  if (n == 0) return;
  std::size_t w = 0;
  for (const auto& [id, worker] : st.workers) {
    const auto capacity = worker.hello.capacity;
    std::size_t i = 0;
    for (const auto& [batch, s] : st.sessions) {
      const auto extra = (i + w) % n < capacity % n ? 1u : 0u;
      const auto share = static_cast<std::uint32_t>(capacity / n) + extra;
      self->send(s.coordinator, actors::join_atom::value,
                 caf::actor_cast<actors::worker_actor>(worker.proxy), share);
      ++i;
    }
    ++w;
  }
}

// How long a task may be at a worker before it is taken for lost there: its call's own time
// limit (a sim's latency is its own) and a grace for the way there and back.
clock::duration task_deadline(const std::vector<flow::call_profile>& profiles,
                              std::chrono::milliseconds grace) {
  clock::duration longest{};
  for (const auto& p : profiles) {
    const auto& sim = p.endpoint.sim;
    const auto sim_time =
        std::chrono::duration<double, std::milli>(sim.latency_ms + 4 * sim.jitter_ms);
    longest = std::max({longest, std::chrono::duration_cast<clock::duration>(p.timeout),
                        std::chrono::duration_cast<clock::duration>(sim_time)});
  }
  return longest + grace;
}

void end_session(self_pointer self, std::uint64_t batch, bool cancelled) {
  auto& st = self->state;
  const auto it = st.sessions.find(batch);
  if (it == st.sessions.end()) return;
  auto& s = it->second;
  if (cancelled) s.sink->cancel();
  caf::anon_send_exit(s.watch, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(s.coordinator, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(s.input, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(s.reducer, caf::exit_reason::user_shutdown);
  for (const auto& [id, worker] : st.workers) self->send(worker.proxy, forget_atom::value, batch);
  if (st.options.ledger) st.options.ledger->closed(s.client, s.client_batch);
  st.by_client.erase({s.client, s.client_batch});
  st.sessions.erase(it);
  reshare(self);
}

void refuse(node_state& st, const std::string& client, command c, std::uint64_t batch,
            std::string reason) {
  post(st, clients_socket, client, refusal{c, batch, std::move(reason)});
}

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += (text.empty() ? "" : "\n") + line;
  return text;
}

void start_session(self_pointer self, const std::string& client, submit& s) {
  auto& st = self->state;
  if (st.options.ledger) st.options.ledger->submit_taken(client);
  if (const auto old = st.by_client.find({client, s.batch}); old != st.by_client.end()) {
    // The client submitted the batch again (it took this coordinator for gone): the new
    // session gets every item the client has no line for, so the old one must write nothing.
    end_session(self, old->second, true);
  }
  auto load = flow::load_graph_text(s.job_text, s.job_path, s.overrides, s.openai_batch_input);
  if (!load.value) {
    if (st.options.ledger) st.options.ledger->closed(client, s.batch);
    return refuse(st, client, command::submit, s.batch, joined(load.errors));
  }
  const auto graph = load.value;
  const auto batch = st.next_batch++;
  std::uint64_t slots = 0;
  for (const auto& [id, worker] : st.workers) slots += worker.hello.capacity;
  auto opts = actors::coordinator_options_for(graph->job().limits, slots);
  opts.epoch = st.options.epoch;
  opts.batch = batch;
  actors::add_endpoints(*graph, opts, &st.limiters);
  auto built = flow::build_profiles(*graph);
  opts.node_profile = std::move(built.of_node);
  opts.task_deadline = task_deadline(built.profiles, st.options.task_grace);

  session sn;
  sn.client = client;
  sn.client_batch = s.batch;
  sn.job = s.job_path.empty() ? graph->job().name : s.job_path;
  sn.profiles = {
      batch, std::make_shared<const std::vector<flow::call_profile>>(std::move(built.profiles))};
  sn.sink = std::make_shared<client_stream_sink>(st.options.post, client, s.batch);
  const auto done = caf::actor_cast<actors::run_end_actor>(self);
  actors::reducer_options reducer_opts;
  reducer_opts.graph = graph;
  reducer_opts.sink = sn.sink;
  reducer_opts.openai_batch_output = s.openai_batch_output;
  reducer_opts.batch_nonce = s.nonce;
  reducer_opts.done = done;
  reducer_opts.own_thread = true;
  sn.reducer = actors::spawn_reducer(self->system(), reducer_opts);
  batch_input_options input_opts;
  input_opts.post = st.options.post;
  input_opts.client = client;
  input_opts.client_batch = s.batch;
  input_opts.room = static_cast<std::uint32_t>(
      std::min<std::uint64_t>({opts.window, 1u << 16, st.options.max_client_in_flight}));
  if (auto ledger = st.options.ledger) {
    ledger->opened(client, s.batch);
    input_opts.granted = [ledger, client, b = s.batch](std::uint64_t n) {
      ledger->granted(client, b, n);
    };
  }
  input_opts.received = sn.received;
  input_opts.ended = sn.ended;
  sn.input = spawn_batch_input(self->system(), input_opts);
  sn.coordinator = actors::spawn_coordinator(
      self->system(), opts, caf::actor_cast<actors::reader_actor>(sn.input), sn.reducer);
  sn.watch =
      actors::spawn_run_watch(self->system(),
                              {{caf::actor_cast<caf::actor>(sn.reducer), "the reducer"},
                               {caf::actor_cast<caf::actor>(sn.coordinator), "the coordinator"},
                               {caf::actor_cast<caf::actor>(sn.input), "the batch input"}},
                              sn.reducer, done);
  if (st.options.level >= log_level::info)
    std::fprintf(stderr, "parallm coordinator: batch %llu: %s from %s\n",
                 static_cast<unsigned long long>(batch), sn.job.c_str(),
                 st.clients.count(client) ? st.clients[client].client_id.c_str() : client.c_str());
  for (const auto& [id, worker] : st.workers) {
    self->send(worker.proxy, actors::profiles_atom::value, sn.profiles);
  }
  st.by_client[{client, s.batch}] = batch;
  st.sessions.emplace(batch, std::move(sn));
  reshare(self);
}

void worker_joined(self_pointer self, const std::string& id, worker_hello& hello) {
  auto& st = self->state;
  remote r;
  r.hello = std::move(hello);
  auto refused = [hub = caf::actor_cast<coordinator_node_actor>(self),
                  id](actors::result_batch failed) {
    caf::anon_send(hub, wire_atom::value, workers_socket, id, message{to_wire(std::move(failed))});
  };
  r.proxy =
      spawn_remote_worker(self->system(), {st.options.post, id, wire_limits{}, r.sent, refused});
  for (const auto& [batch, s] : st.sessions) {
    self->send(r.proxy, actors::profiles_atom::value, s.profiles);
  }
  if (st.options.level >= log_level::info)
    std::fprintf(stderr, "parallm coordinator: worker %s (%s) joined with capacity %u\n",
                 r.hello.name.c_str(), r.hello.host.c_str(), r.hello.capacity);
  st.workers[id] = std::move(r);
  reshare(self);
}

void worker_left(self_pointer self, const std::string& id) {
  auto& st = self->state;
  const auto it = st.workers.find(id);
  if (it == st.workers.end()) return;
  const auto proxy = caf::actor_cast<actors::worker_actor>(it->second.proxy);
  for (const auto& [batch, s] : st.sessions)
    self->send(s.coordinator, actors::leave_atom::value, proxy);
  if (st.options.level >= log_level::warn) {
    std::fprintf(stderr, "parallm coordinator: worker %s (%s) is gone; its tasks go to others\n",
                 it->second.hello.name.c_str(), it->second.hello.host.c_str());
  }
  caf::anon_send_exit(it->second.proxy, caf::exit_reason::user_shutdown);
  st.workers.erase(it);
  reshare(self);
}

// A worker's results, to the batches they belong to; a batch that ended takes none.
void route_results(self_pointer self, const std::string& id, result_frame& frame) {
  auto& st = self->state;
  auto converted = from_wire(std::move(frame));
  if (!converted) {
    std::fprintf(stderr, "parallm coordinator: results from worker %s refused: %s\n", id.c_str(),
                 std::string(to_string(converted.error().error)).c_str());
    return;
  }
  // Results the link passed on before the worker was taken for gone still go to their
  // batches (which drop them as stale: the tasks were taken back), but count for no worker.
  const auto worker = st.workers.find(id);
  std::map<std::uint64_t, actors::result_batch> by_batch;
  for (auto& r : converted.value().results) {
    if (worker != st.workers.end()) {
      ++(r.outcome.kind == providers::outcome_kind::ok ? worker->second.done
                                                       : worker->second.failed);
    }
    by_batch[r.key.batch].results.push_back(std::move(r));
  }
  for (auto& [batch, results] : by_batch) {
    const auto it = st.sessions.find(batch);
    if (it == st.sessions.end()) {
      st.stray_results += results.results.size();
      continue;
    }
    self->send(it->second.coordinator, actors::results_atom::value, std::move(results));
  }
}

status_reply status(node_state& st) {
  status_reply reply;
  const auto now = clock::now();
  const auto seen = st.options.snapshot ? st.options.snapshot() : link_snapshot{};
  for (const auto& [id, w] : st.workers) {
    worker_status row;
    row.name = w.hello.name;
    row.host = w.hello.host;
    row.capacity = w.hello.capacity;
    const auto answered = w.done + w.failed;
    const auto sent = w.sent->load();
    row.in_flight = static_cast<std::uint32_t>(sent > answered ? sent - answered : 0);
    row.done = w.done;
    row.failed = w.failed;
    if (const auto heard = seen.workers_heard.find(id); heard != seen.workers_heard.end()) {
      row.heartbeat_age_ms = static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(now - heard->second).count());
    }
    reply.workers.push_back(std::move(row));
  }
  for (const auto& [batch, s] : st.sessions) {
    batch_status row;
    const auto client = st.clients.find(s.client);
    row.client_id = client == st.clients.end() ? s.client : client->second.client_id;
    row.job = s.job;
    row.done = s.sink->lines();
    row.total = *s.ended ? s.received->load() : 0;
    const auto seconds = std::chrono::duration<double>(now - s.started).count();
    row.rate = seconds > 0 ? static_cast<double>(row.done) / seconds : 0;
    reply.batches.push_back(std::move(row));
  }
  const auto count = [&](std::string name, std::uint64_t value) {
    reply.counters.push_back(counter{std::move(name), value});
  };
  for (const auto& [side, counters] :
       {std::pair{"workers", &seen.workers}, std::pair{"clients", &seen.clients}}) {
    count(std::string(side) + ".accepted", counters->accepted);
    for (std::size_t i = 0; i < drop_reason_count; ++i) {
      count(std::string(side) + ".dropped." + std::string(to_string(static_cast<drop_reason>(i))),
            counters->dropped[i]);
    }
    for (std::size_t i = 0; i < refuse_reason_count; ++i) {
      count(std::string(side) + ".refused." + std::string(to_string(static_cast<refuse_reason>(i))),
            counters->refused[i]);
    }
  }
  for (const auto& [side, refused] :
       {std::pair{"workers", &seen.workers_refused}, std::pair{"clients", &seen.clients_refused}}) {
    count(std::string(side) + ".refused.unknown_key", refused->unknown_key);
    count(std::string(side) + ".refused.no_curve", refused->no_curve);
  }
  count("results.stray", st.stray_results);
  return reply;
}

void from_client(self_pointer self, const std::string& id, message& m) {
  auto& st = self->state;
  if (auto* s = std::get_if<submit>(&m)) return start_session(self, id, *s);
  if (auto* items = std::get_if<item_frame>(&m)) {
    const auto it = st.by_client.find({id, items->batch});
    if (it == st.by_client.end()) {
      return refuse(st, id, command::items, items->batch, "no such batch");
    }
    self->send(st.sessions.at(it->second).input, actors::items_atom::value, std::move(*items));
    return;
  }
  if (std::holds_alternative<status_request>(m)) {
    post(st, clients_socket, id, status(st));
    if (st.options.ledger) st.options.ledger->status_answered(id);
  }
}

void on_run_end(self_pointer self, actors::run_report& report) {
  auto& st = self->state;
  const auto sender = self->current_sender();
  for (auto& [batch, s] : st.sessions) {
    if (sender != s.reducer.address() && sender != s.watch.address()) continue;
    s.sink->flush();
    const auto& stats = report.stats;
    batch_done done{s.client_batch, stats.ok() + stats.partial(), stats.failed(), report.error,
                    report.stopped};
    post(st, clients_socket, s.client, done);
    if (st.options.level >= log_level::info)
      std::fprintf(stderr, "parallm coordinator: batch %llu done: %s",
                   static_cast<unsigned long long>(batch), report.summary().c_str());
    end_session(self, batch, false);
    return;
  }
}

coordinator_node_actor::behavior_type node_behavior(self_pointer self,
                                                    coordinator_node_options options) {
  self->state.options = std::move(options);
  return {
      [=](joined_atom, std::string& id, worker_hello& hello) { worker_joined(self, id, hello); },
      [=](joined_atom, std::string& id, client_hello& hello) {
        self->state.clients[id] = std::move(hello);
      },
      [=](left_atom, std::size_t socket, std::string& id) {
        auto& st = self->state;
        if (socket == workers_socket) return worker_left(self, id);
        st.clients.erase(id);
        std::vector<std::uint64_t> gone;
        for (const auto& [batch, s] : st.sessions) {
          if (s.client == id) gone.push_back(batch);
        }
        for (const auto batch : gone) end_session(self, batch, true);
      },
      [=](wire_atom, std::size_t socket, std::string& id, message& m) {
        if (socket == clients_socket) return from_client(self, id, m);
        if (auto* results = std::get_if<result_frame>(&m)) route_results(self, id, *results);
      },
      [=](forget_atom, std::string& id, std::uint64_t client_batch) {
        // The link told the client why; its batch ends here without a batch_done.
        auto& st = self->state;
        if (const auto it = st.by_client.find({id, client_batch}); it != st.by_client.end()) {
          end_session(self, it->second, true);
        }
      },
      [=](actors::run_end_atom, actors::run_report& report) { on_run_end(self, report); },
  };
}

}  // namespace

coordinator_node_actor spawn_coordinator_node(caf::actor_system& system,
                                              coordinator_node_options options) {
  return system.spawn(node_behavior, std::move(options));
}

void node_events::worker_joined(const std::string& id, const worker_hello& hello) {
  caf::anon_send(node_, joined_atom::value, id, hello);
}
void node_events::worker_left(const std::string& id) {
  caf::anon_send(node_, left_atom::value, workers_socket, id);
}
void node_events::from_worker(const std::string& id, message m) {
  caf::anon_send(node_, wire_atom::value, workers_socket, id, std::move(m));
}
void node_events::client_joined(const std::string& id, const client_hello& hello) {
  caf::anon_send(node_, joined_atom::value, id, hello);
}
void node_events::client_left(const std::string& id) {
  caf::anon_send(node_, left_atom::value, clients_socket, id);
}
void node_events::from_client(const std::string& id, message m) {
  caf::anon_send(node_, wire_atom::value, clients_socket, id, std::move(m));
}
void node_events::client_refused(const std::string& id, std::uint64_t batch) {
  caf::anon_send(node_, forget_atom::value, id, batch);
}

}  // namespace parallm::nodes
