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

}  // namespace

coordinator_link::coordinator_link(link_settings settings, coordinator_events& events)
    : settings_(std::move(settings)), events_(events) {
  welcome_frame_ =
      encode(welcome{settings_.epoch, static_cast<std::uint32_t>(settings_.heartbeat.count()),
                     static_cast<std::uint32_t>(settings_.liveness.count())});
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
      parts == 1 ? decode(frame, settings_.limits) : decode_result(decode_error::malformed);
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
    case frame_action::route:
      break;
  }
  auto& m = decoded.value();
  const auto c = command_of(m);
  if (c == command::heartbeat) return;  // a sign of life, counted by the table
  if (c == command::refusal) {
    if (settings_.level < log_level::warn) return;
    const auto& r = std::get<refusal>(m);
    std::fprintf(stderr, "%s: %s refused %s: %s\n", settings_.log_name.c_str(),
                 socket == workers_socket ? "a worker" : "a client",
                 std::string(to_string(r.refused)).c_str(), r.reason.c_str());
    return;
  }
  if (socket == workers_socket) {
    events_.from_worker(routing_id, std::move(m));
  } else {
    events_.from_client(routing_id, std::move(m));
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
