#include "cli/coordinator_command.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include "actors/coordinator_setup.hpp"
#include "cli/exit_codes.hpp"
#include "cli/node_system.hpp"
#include "cli/signal_watch.hpp"
#include "nodes/coordinator_link.hpp"
#include "nodes/coordinator_node.hpp"
#include "nodes/gateway.hpp"

namespace parallm::cli {

int coordinator_command(const coordinator_args& args) {
  const auto level = nodes::parse_log_level(args.log_level);
  if (!level) {
    std::fprintf(stderr,
                 "parallm coordinator: --log-level '%s' is not error, warn, info or debug\n",
                 args.log_level.c_str());
    return exit_bad_input;
  }
  auto security = set_up_security(args.security, args.workers_bind, args.clients_bind);
  if (!security) return exit_bad_input;
  signal_watch signals;
  if (auto* guard = security->guard.get()) signals.on_hangup([guard] { guard->reload_soon(); });
  caf::actor_system_config cfg;
  configure_node_scheduler(cfg);
  caf::actor_system system{cfg};

  nodes::link_settings settings;
  settings.epoch = actors::random_u64();
  settings.heartbeat = std::chrono::milliseconds(args.heartbeat_ms);
  settings.liveness = std::chrono::milliseconds(args.heartbeat_ms) * args.liveness;
  settings.level = *level;
  settings.limits = args.limits;
  settings.ledger = std::make_shared<nodes::client_ledger>(args.limits.max_batches_per_client,
                                                           args.limits.max_client_in_flight);

  // The node posts frames to the gateway, which is made after it: the link needs the node's
  // events, the node the gateway's post.
  std::shared_ptr<nodes::gateway> gateway;
  nodes::coordinator_node_options node_opts;
  node_opts.epoch = settings.epoch;
  node_opts.level = *level;
  node_opts.ledger = settings.ledger;
  node_opts.max_client_in_flight = args.limits.max_client_in_flight;
  node_opts.post = [&gateway](std::size_t socket, std::string id, std::string frame) {
    gateway->post(socket, std::move(id), std::move(frame));
  };
  nodes::coordinator_link* link_view = nullptr;
  node_opts.snapshot = [&link_view, guard = security->guard.get()] {
    auto snapshot = link_view->snapshot();
    if (guard != nullptr) {
      snapshot.workers_refused = guard->counters(nodes::peer_kind::worker);
      snapshot.clients_refused = guard->counters(nodes::peer_kind::client);
    }
    return snapshot;
  };
  auto node = nodes::spawn_coordinator_node(system, node_opts);
  nodes::node_events events{node};
  nodes::coordinator_link link{settings, events};
  link_view = &link;
  // ZeroMQ's own cap stays well above the frame limit, so that a frame over it still arrives
  // to be counted as too_large.
  const auto frame_bytes = static_cast<std::int64_t>(args.limits.wire.max_frame_bytes);
  const auto hard_cap = std::max<std::int64_t>(nodes::default_max_message_bytes, 2 * frame_bytes);
  // A peer that reads nothing may have a few frames' worth kept for it, no more.
  const auto backlog_cap =
      static_cast<std::size_t>(std::max<std::int64_t>(64 << 20, 4 * frame_bytes));
  gateway = std::make_shared<nodes::gateway>(
      std::vector<nodes::socket_spec>{{nodes::socket_spec::role::router_bind,
                                       args.workers_bind,
                                       10000,
                                       {},
                                       backlog_cap,
                                       hard_cap,
                                       security->workers},
                                      {nodes::socket_spec::role::router_bind,
                                       args.clients_bind,
                                       10000,
                                       {},
                                       backlog_cap,
                                       hard_cap,
                                       security->clients}},
      link, std::chrono::milliseconds(100), security->guard.get());
  try {
    gateway->start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parallm coordinator: %s\n", e.what());
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
    return exit_bad_input;
  }
  std::fprintf(stderr, "parallm coordinator: workers on %s, clients on %s (epoch %016llx)\n",
               gateway->endpoint(nodes::workers_socket).c_str(),
               gateway->endpoint(nodes::clients_socket).c_str(),
               static_cast<unsigned long long>(settings.epoch));

  std::mutex mutex;
  std::condition_variable stopped;
  bool stop = false;
  signals.on_first([&] {
    std::lock_guard lock(mutex);
    stop = true;
    stopped.notify_all();
  });
  {
    std::unique_lock lock(mutex);
    stopped.wait(lock, [&] { return stop; });
  }
  std::fprintf(stderr, "parallm coordinator: stopping\n");
  gateway->stop();
  // Batches still running are the clients' to re-submit to the next coordinator.
  std::fflush(nullptr);
  std::_Exit(exit_ok);
}

}  // namespace parallm::cli
