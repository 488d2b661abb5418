#include "nodes/peer_table.hpp"

#include <numeric>
#include <variant>

namespace parallm::nodes {

namespace {

static_assert(static_cast<int>(decode_error::too_large) ==
              static_cast<int>(drop_reason::too_large));
static_assert(static_cast<int>(decode_error::wrong_shape) ==
              static_cast<int>(drop_reason::wrong_shape));
static_assert(decode_error_count == static_cast<std::size_t>(drop_reason::not_hello));

drop_reason reason_of(decode_error e) {
  return static_cast<drop_reason>(e);
}

// The commands each kind of peer sends to a coordinator (PROTOCOL.md, "Commands").
bool sends(peer_kind kind, command c) {
  switch (c) {
    case command::heartbeat:
    case command::refusal:
      return true;
    case command::worker_hello:
    case command::credit:
    case command::results:
      return kind == peer_kind::worker;
    case command::client_hello:
    case command::submit:
    case command::items:
    case command::status_request:
      return kind == peer_kind::client;
    default:
      return false;
  }
}

peer_info info_of(const message& m, peer_table::clock::time_point now) {
  peer_info p;
  if (const auto* w = std::get_if<worker_hello>(&m)) {
    p = {peer_kind::worker, w->name, w->host, w->capacity, now, now};
  } else if (const auto* c = std::get_if<client_hello>(&m)) {
    p = {peer_kind::client, c->client_id, c->host, 0, now, now};
  }
  return p;
}

}  // namespace

std::string_view to_string(drop_reason r) {
  static constexpr std::array<std::string_view, drop_reason_count> names{
      "too_large",   "malformed", "unknown_version", "unknown_command",
      "wrong_shape", "not_hello", "wrong_side"};
  const auto i = static_cast<std::size_t>(r);
  return i < names.size() ? names[i] : "unknown";
}

std::uint64_t peer_counters::frames() const {
  return std::accumulate(dropped.begin(), dropped.end(), accepted);
}

verdict peer_table::on_frame(const std::string& routing_id, const decode_result& frame,
                             clock::time_point now) {
  if (!frame) return drop(reason_of(frame.error()));
  const auto& m = frame.value();
  const auto c = command_of(m);
  if (!sends(side_, c)) return drop(drop_reason::wrong_side);
  if (c == command::worker_hello || c == command::client_hello) {
    auto info = info_of(m, now);
    const auto known = peers_.find(routing_id);
    // Hellos said while the connection was down all arrive when it is back: a peer that has
    // said nothing else since the first cannot have a session to drop.
    if (known != peers_.end() && !known->second.spoke && known->second.name == info.name &&
        known->second.host == info.host && known->second.capacity == info.capacity) {
      known->second.last_heard = now;
      ++counters_.accepted;
      return {frame_action::repeat};
    }
    // Peers past the most are refused before anything is kept of them.
    if (known == peers_.end() && peers_.size() >= max_peers_) {
      count_refusal(refuse_reason::too_many_peers);
      return {frame_action::refuse, drop_reason::malformed, refuse_reason::too_many_peers};
    }
    ++counters_.accepted;
    // The welcome goes out at once, so the hello also starts the heartbeat interval.
    const auto [it, fresh] = peers_.insert_or_assign(routing_id, std::move(info));
    return {fresh ? frame_action::admit : frame_action::readmit};
  }
  const auto it = peers_.find(routing_id);
  if (it == peers_.end()) return drop(drop_reason::not_hello);
  ++counters_.accepted;
  it->second.last_heard = now;
  it->second.spoke = true;
  return {frame_action::route};
}

void peer_table::note_sent(const std::string& routing_id, clock::time_point now) {
  if (const auto it = peers_.find(routing_id); it != peers_.end()) it->second.last_sent = now;
}

std::vector<std::string> peer_table::expired(clock::time_point now, clock::duration liveness) {
  std::vector<std::string> gone;
  for (auto it = peers_.begin(); it != peers_.end();) {
    if (now - it->second.last_heard > liveness) {
      gone.push_back(it->first);
      it = peers_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

std::vector<std::string> peer_table::due_heartbeats(clock::time_point now,
                                                    clock::duration interval) {
  std::vector<std::string> due;
  for (auto& [id, p] : peers_) {
    if (now - p.last_sent >= interval) {
      due.push_back(id);
      p.last_sent = now;
    }
  }
  return due;
}

bool peer_table::forget(const std::string& routing_id) {
  return peers_.erase(routing_id) != 0;
}

const peer_info* peer_table::find(const std::string& routing_id) const {
  const auto it = peers_.find(routing_id);
  return it == peers_.end() ? nullptr : &it->second;
}

verdict peer_table::drop(drop_reason r) {
  ++counters_.dropped[static_cast<std::size_t>(r)];
  return {frame_action::drop, r};
}

}  // namespace parallm::nodes
