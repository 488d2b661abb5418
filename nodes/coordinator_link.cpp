#include "nodes/coordinator_link.hpp"

#include <cstdio>
#include <variant>

#include "nodes/wire_codec.hpp"

namespace parallm::nodes {
namespace {

using clock = std::chrono::steady_clock;

// Drops are logged at most this often, as one line of counts per socket.
constexpr auto drop_log_interval = std::chrono::seconds(5);

std::string drop_counts(const peer_counters& c) {
  std::string text;
  for (std::size_t i = 0; i < drop_reason_count; ++i) {
    if (c.dropped[i] == 0) continue;
    if (!text.empty()) text += ", ";
    text +=
        std::string(to_string(static_cast<drop_reason>(i))) + " " + std::to_string(c.dropped[i]);
  }
  return text.empty() ? "none" : text;
}

std::uint64_t total_drops(const peer_counters& c) {
  return c.frames() - c.accepted;
}

// Refusals logged once each, at most this many in a process's life.
constexpr std::size_t max_logged_refusals = 4096;

// A routing id ZeroMQ made up is binary: shown as hex.
std::string printable(const std::string& id) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  for (const unsigned char c : id.substr(0, 32)) {
    text += digits[c >> 4];
    text += digits[c & 15];
  }
  return text;
}

// A peer's own text (its name, a refusal's reason) in a log line: no more than a line's worth.
std::string shortened(const std::string& text) {
  constexpr std::size_t most = 120;
  return text.size() <= most ? text : text.substr(0, most) + "...";
}

std::string too_many_peers(std::size_t socket, std::uint32_t most) {
  return socket == workers_socket
             ? "too many workers: " + std::to_string(most) +
                   " have joined, the most this coordinator takes (--max-workers)"
             : "too many clients: " + std::to_string(most) +
                   " are connected, the most this coordinator takes (--max-clients)";
}

}  // namespace

coordinator_link::coordinator_link(link_settings settings, coordinator_events& events)
    : settings_(std::move(settings)),
      events_(events),
      workers_(peer_kind::worker, settings_.limits.max_workers),
      clients_(peer_kind::client, settings_.limits.max_clients) {
  welcome_frame_ = encode(
      welcome{settings_.epoch, static_cast<std::uint32_t>(settings_.heartbeat.count()),
              static_cast<std::uint32_t>(settings_.liveness.count()), settings_.limits.wire});
  heartbeat_frame_ = encode(heartbeat{settings_.epoch});
}

void coordinator_link::send(gateway_io& io, std::size_t socket, const std::string& id,
                            const message& m, clock::time_point now) {
  auto& table = socket == workers_socket ? workers_ : clients_;
  table.note_sent(id, now);
  io.send(socket, id, encode(m));
}

void coordinator_link::admit(gateway_io& io, std::size_t socket, const std::string& id,
                             const message& hello, bool again) {
  if (socket == workers_socket) {
    if (again) events_.worker_left(id);
    events_.worker_joined(id, std::get<worker_hello>(hello));
  } else {
    if (again) events_.client_left(id);
    events_.client_joined(id, std::get<client_hello>(hello));
  }
  io.send(socket, id, welcome_frame_);
}

void coordinator_link::on_frame(gateway_io& io, std::size_t socket, const std::string& routing_id,
                                std::string_view frame, std::size_t parts) {
  if (socket != workers_socket && socket != clients_socket) return;
  auto& table = socket == workers_socket ? workers_ : clients_;
  const auto now = clock::now();
  // A frame of this protocol is exactly one part: anything else is not one of its frames.
  auto decoded =
      parts == 1 ? decode(frame, settings_.limits.wire) : decode_result(decode_error::malformed);
  const auto verdict = table.on_frame(routing_id, decoded, now);
  switch (verdict.action) {
    case frame_action::repeat:
      io.send(socket, routing_id, welcome_frame_);
      table.note_sent(routing_id, now);
      return;
    case frame_action::admit:
    case frame_action::readmit:
      admit(io, socket, routing_id, decoded.value(), verdict.action == frame_action::readmit);
      table.note_sent(routing_id, now);
      return;
    case frame_action::drop:
      // A peer the coordinator does not know (it restarted, or took the peer for dead) is
      // told so, and says hello again; a peer on the wrong socket learns its mistake.
      if (decoded &&
          (verdict.reason == drop_reason::not_hello || verdict.reason == drop_reason::wrong_side)) {
        send(io, socket, routing_id,
             refusal{command_of(decoded.value()), 0, std::string(to_string(verdict.reason))}, now);
      }
      return;
    case frame_action::refuse: {
      const auto most =
          socket == workers_socket ? settings_.limits.max_workers : settings_.limits.max_clients;
      const auto c = command_of(decoded.value());
      const auto text = too_many_peers(socket, most);
      log_refusal_once(socket, routing_id, verdict.refused, text);
      io.send(socket, routing_id, encode(refusal{c, 0, text}));
      return;
    }
    case frame_action::route:
      break;
  }
  auto& m = decoded.value();
  const auto c = command_of(m);
  if (c == command::heartbeat) return;  // a sign of life, counted by the table
  if (c == command::refusal) {
    // Once per peer and command refused: a peer's refusals would otherwise fill the log.
    const auto& r = std::get<refusal>(m);
    const auto what = std::string(to_string(r.refused));
    log_once(std::to_string(socket) + "/in/" + routing_id + '/' + what,
             std::string(socket == workers_socket ? "a worker" : "a client") + " refused " + what +
                 ": " + shortened(r.reason));
    return;
  }
  if (socket == workers_socket) {
    events_.from_worker(routing_id, std::move(m));
  } else if (client_may(io, routing_id, m, now)) {
    events_.from_client(routing_id, std::move(m));
  }
}

bool coordinator_link::client_may(gateway_io& io, const std::string& id, const message& m,
                                  clock::time_point now) {
  if (!settings_.ledger) return true;
  const auto& limits = settings_.limits;
  if (const auto* s = std::get_if<submit>(&m)) {
    if (settings_.ledger->submit_arrived(id, s->batch)) return true;
    refuse(io, clients_socket, id, refuse_reason::too_many_batches,
           refusal{command::submit, s->batch,
                   "too many batches: this client runs " +
                       std::to_string(limits.max_batches_per_client) +
                       ", the most this coordinator takes (--max-batches-per-client)"},
           now);
    return false;
  }
  if (std::holds_alternative<status_request>(m)) {
    // Dropped, not answered: the answer to the one waiting is on its way.
    if (settings_.ledger->status_asked(id)) return true;
    clients_.count_refusal(refuse_reason::status_pending);
    return false;
  }
  const auto* items = std::get_if<item_frame>(&m);
  if (!items) return true;
  switch (settings_.ledger->items_arrived(id, items->batch, items->items.size())) {
    case items_verdict::take:
      return true;
    case items_verdict::no_such_batch:
      // Answered here rather than by the node, so that a flood of them queues nowhere.
      send(io, clients_socket, id, refusal{command::items, items->batch, "no such batch"}, now);
      return false;
    case items_verdict::over_credit:
      refuse(io, clients_socket, id, refuse_reason::over_credit,
             refusal{command::submit, items->batch,
                     "the client sent more than " + std::to_string(limits.max_client_in_flight) +
                         " input lines past its credit (--max-client-in-flight): batch refused"},
             now);
      events_.client_refused(id, items->batch);
      return false;
    case items_verdict::refused:
      clients_.count_refusal(refuse_reason::over_credit);
      return false;
  }
  return false;
}

void coordinator_link::refuse(gateway_io& io, std::size_t socket, const std::string& id,
                              refuse_reason why, const refusal& answer, clock::time_point now) {
  (socket == workers_socket ? workers_ : clients_).count_refusal(why);
  log_refusal_once(socket, id, why, answer.reason);
  send(io, socket, id, answer, now);
}

void coordinator_link::log_refusal_once(std::size_t socket, const std::string& id,
                                        refuse_reason why, const std::string& text) {
  const auto& table = socket == workers_socket ? workers_ : clients_;
  const auto* peer = table.find(id);
  const auto name = peer ? shortened(peer->name) : printable(id);
  log_once(std::to_string(socket) + '/' + id + '/' + std::string(to_string(why)),
           std::string("refused ") + (socket == workers_socket ? "worker " : "client ") + name +
               ": " + text);
}

void coordinator_link::log_once(const std::string& key, const std::string& line) {
  if (settings_.level < log_level::warn || logged_refusals_.size() >= max_logged_refusals) return;
  if (!logged_refusals_.insert(key.substr(0, 256)).second) return;
  std::fprintf(stderr, "%s: %s\n", settings_.log_name.c_str(), line.c_str());
  if (logged_refusals_.size() == max_logged_refusals) {
    std::fprintf(stderr, "%s: further refusals are counted (status), not logged\n",
                 settings_.log_name.c_str());
  }
}

void coordinator_link::on_overflow(gateway_io&, std::size_t socket, const std::string& id) {
  if (socket != workers_socket && socket != clients_socket) return;
  auto& table = socket == workers_socket ? workers_ : clients_;
  table.count_refusal(refuse_reason::backlog_full);
  log_refusal_once(socket, id, refuse_reason::backlog_full,
                   "it reads nothing it is sent (its backlog is full); forgotten");
  if (!table.forget(id)) return;
  if (socket == workers_socket) {
    events_.worker_left(id);
  } else {
    events_.client_left(id);
  }
}

void coordinator_link::on_tick(gateway_io& io, clock::time_point now) {
  for (const auto& id : workers_.expired(now, settings_.liveness)) events_.worker_left(id);
  for (const auto& id : clients_.expired(now, settings_.liveness)) events_.client_left(id);
  for (const auto& id : workers_.due_heartbeats(now, settings_.heartbeat)) {
    io.send(workers_socket, id, heartbeat_frame_);
  }
  for (const auto& id : clients_.due_heartbeats(now, settings_.heartbeat)) {
    io.send(clients_socket, id, heartbeat_frame_);
  }
  log_drops(now);
  std::lock_guard lock(snapshot_mutex_);
  snapshot_.workers_heard.clear();
  for (const auto& [id, peer] : workers_.peers()) snapshot_.workers_heard[id] = peer.last_heard;
  snapshot_.workers = workers_.counters();
  snapshot_.clients = clients_.counters();
}

void coordinator_link::log_drops(clock::time_point now) {
  const auto drops = total_drops(workers_.counters()) + total_drops(clients_.counters());
  if (settings_.level < log_level::warn) return;
  if (drops == logged_drops_ || now - last_drop_log_ < drop_log_interval) return;
  logged_drops_ = drops;
  last_drop_log_ = now;
  std::fprintf(stderr, "%s: frames dropped so far: from workers %s; from clients %s\n",
               settings_.log_name.c_str(), drop_counts(workers_.counters()).c_str(),
               drop_counts(clients_.counters()).c_str());
}

link_snapshot coordinator_link::snapshot() const {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

}  // namespace parallm::nodes
