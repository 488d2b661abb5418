#include "cli/worker_command.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include <unistd.h>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include "cli/exit_codes.hpp"
#include "cli/node_system.hpp"
#include "cli/signal_watch.hpp"
#include "nodes/endpoint_map.hpp"
#include "nodes/gateway.hpp"
#include "nodes/key_refusal_note.hpp"
#include "nodes/worker_link.hpp"
#include "nodes/worker_node.hpp"

namespace parallm::cli {
namespace {

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof(buffer) - 1) != 0) return "unknown";
  return buffer;
}

// The same across the DEALER's reconnections, so the coordinator's ROUTER hands the new
// connection to the session it knows (ROUTER_HANDOVER); unique per process, so that two
// workers given one --name do not take each other's connection. ZeroMQ takes at most 255
// bytes, not starting with a zero byte.
std::string routing_id_for(const std::string& name) {
  std::random_device random;
  char nonce[17];
  std::snprintf(nonce, sizeof(nonce), "%08x%08x", random(), random());
  return "w:" + name.substr(0, 200) + "#" + nonce;
}

std::optional<std::vector<nodes::endpoint_rewrite>> endpoint_map(
    const std::vector<std::string>& given) {
  std::vector<nodes::endpoint_rewrite> map;
  for (const auto& text : given) {
    auto rewrite = nodes::parse_endpoint_rewrite(text);
    if (!rewrite) {
      std::fprintf(stderr, "parallm worker: --endpoint-map '%s' is not FROM=TO\n", text.c_str());
      return std::nullopt;
    }
    map.push_back(std::move(*rewrite));
  }
  return map;
}

// " (malformed 3, wrong_side 2)": the reasons frames were dropped for, or nothing.
std::string drop_reasons(const nodes::worker_link_counters& link) {
  std::string text;
  for (std::size_t i = 0; i < nodes::drop_reason_count; ++i) {
    if (link.dropped[i] == 0) continue;
    text += text.empty() ? " (" : ", ";
    text += std::string(nodes::to_string(static_cast<nodes::drop_reason>(i))) + " " +
            std::to_string(link.dropped[i]);
  }
  return text.empty() ? text : text + ")";
}

void log_counters(const std::string& name, const nodes::worker_link_counters& link,
                  const nodes::worker_node_counters& node) {
  std::fprintf(stderr,
               "parallm worker %s: stopped: %llu tasks, %llu results in %llu frames (%llu too "
               "large for the wire), %llu tasks refused, %llu frames dropped%s\n",
               name.c_str(), static_cast<unsigned long long>(link.tasks),
               static_cast<unsigned long long>(node.results.load()),
               static_cast<unsigned long long>(node.frames.load()),
               static_cast<unsigned long long>(node.too_large.load()),
               static_cast<unsigned long long>(link.refused_tasks),
               static_cast<unsigned long long>(link.dropped_total()), drop_reasons(link).c_str());
}

}  // namespace

int worker_command(const worker_args& args) {
  const auto level = nodes::parse_log_level(args.log_level);
  if (!level) {
    std::fprintf(stderr, "parallm worker: --log-level '%s' is not error, warn, info or debug\n",
                 args.log_level.c_str());
    return exit_bad_input;
  }
  auto map = endpoint_map(args.endpoint_map);
  if (!map) return exit_bad_input;
  const auto host = host_name();
  const auto name = args.name.empty() ? host + ":" + std::to_string(::getpid()) : args.name;
  const auto capacity = static_cast<std::uint32_t>(args.concurrency);
  nodes::curve_settings curve;
  if (!client_curve_settings("parallm worker", args.curve, curve)) return exit_bad_input;

  // Before any other thread starts, so that every thread leaves the signals to the watcher.
  signal_watch signals("\nparallm worker: stopping; the calls in flight are given up\n");
  std::promise<void> stop;
  signals.on_first([&stop] { stop.set_value(); });

  // Declared before the actor system, so that they outlive every actor that posts frames.
  nodes::worker_node_listener listener(name, args.connect, *level);
  nodes::worker_link_options link_options;
  link_options.name = name;
  link_options.host = host;
  link_options.capacity = capacity;
  link_options.hello_interval = std::chrono::milliseconds(args.heartbeat_ms);
  nodes::worker_link link(link_options, listener);
  nodes::key_refusal_note refusal_note("parallm worker " + name, curve.public_key);
  nodes::gateway gateway({{.kind = nodes::socket_spec::role::dealer_connect,
                           .endpoint = args.connect,
                           .routing_id = routing_id_for(name),
                           .curve = curve}},
                         link, std::chrono::milliseconds(100), &refusal_note);
  auto counters = std::make_shared<nodes::worker_node_counters>();

  caf::actor_system_config cfg;
  const auto threads = configure_node_scheduler(cfg);
  caf::actor_system system{cfg};
  nodes::worker_node_options node_options;
  node_options.workers = threads;
  node_options.capacity = capacity;
  node_options.endpoint_map = std::move(*map);
  node_options.counters = counters;
  node_options.limits = link_options.coordinator_limits;
  node_options.post = [&gateway, &link](std::string frame) {
    gateway.post(nodes::worker_link::socket, {}, std::move(frame));
    link.note_sent(nodes::worker_link::clock::now());
  };
  auto node = nodes::spawn_worker_node(system, std::move(node_options));
  listener.attach(node);
  try {
    gateway.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parallm worker: %s\n", e.what());
    caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
    return exit_bad_input;
  }
  if (*level >= nodes::log_level::debug) {
    std::fprintf(stderr, "parallm worker %s: connecting to %s (capacity %u)\n", name.c_str(),
                 args.connect.c_str(), capacity);
  }
  stop.get_future().wait();
  // The I/O thread first: after it no frame comes in, and what the actors post is dropped.
  gateway.stop();
  caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
  if (*level >= nodes::log_level::info) log_counters(name, link.counters(), *counters);
  return exit_ok;
}

}  // namespace parallm::cli
