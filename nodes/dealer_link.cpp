#include "nodes/dealer_link.hpp"

#include <algorithm>
#include <numeric>
#include <utility>
#include <variant>

#include "nodes/wire_codec.hpp"

namespace parallm::nodes {
namespace {

constexpr std::uint32_t liveness_heartbeats = 3;

bool before_welcome(command c) {
  return c == command::welcome || c == command::heartbeat || c == command::refusal;
}

// The refusal a coordinator sends a peer it does not know (peer_table's not_hello). A refused
// hello is not one: saying it again would be refused again.
bool says_not_hello(const refusal& r) {
  return r.refused != command::worker_hello && r.refused != command::client_hello &&
         r.reason.find(to_string(drop_reason::not_hello)) != std::string::npos;
}

// A welcome with no intervals, or a liveness no longer than its heartbeat, would have the
// peer heartbeat without pause or give up between two heartbeats.
welcome sane(welcome w, std::chrono::milliseconds fallback_heartbeat) {
  if (w.heartbeat_ms == 0) {
    w.heartbeat_ms =
        static_cast<std::uint32_t>(std::max<std::int64_t>(1, fallback_heartbeat.count()));
  }
  if (w.liveness_ms <= w.heartbeat_ms) w.liveness_ms = liveness_heartbeats * w.heartbeat_ms;
  w.limits = sane_announced(w.limits);
  return w;
}

}  // namespace

std::uint64_t dealer_counters::dropped_total() const {
  return std::accumulate(dropped.begin(), dropped.end(), std::uint64_t{0});
}

dealer_link::dealer_link(dealer_settings settings, dealer_events& events,
                         std::initializer_list<command> accepts)
    : settings_(std::move(settings)), events_(events), hello_wait_(settings_.hello_interval) {
  for (const auto c : accepts) accepts_[static_cast<std::size_t>(c)] = true;
}

void dealer_link::on_frame(gateway_io& io, std::size_t, const std::string&, std::string_view frame,
                           std::size_t parts) {
  ++counters_.frames_in;
  // A frame of this protocol is one part; more is not a frame at all.
  if (parts != 1) return drop(drop_reason::malformed);
  auto decoded = decode(frame, settings_.limits);
  if (!decoded) return drop(static_cast<drop_reason>(decoded.error()));
  auto& m = decoded.value();
  const auto c = command_of(m);
  const bool always = before_welcome(c);
  if (!always && !accepts_[static_cast<std::size_t>(c)]) return drop(drop_reason::wrong_side);
  // Before a welcome the coordinator has no session for this peer, so what it sends cannot be
  // meant for it: it belongs to a session the coordinator dropped.
  if (!always && !in_session_) return drop(drop_reason::not_hello);
  heard_ = true;
  if (auto* w = std::get_if<welcome>(&m)) return on_welcome(*w);
  if (auto* h = std::get_if<heartbeat>(&m)) return on_heartbeat(io, *h);
  if (c == command::refusal) return on_refusal(io, m);
  events_.received(std::move(m));
}

void dealer_link::on_welcome(const welcome& w) {
  // The answer to another hello of the same outage (they queue while the connection is down):
  // this session was welcomed already, and starting it again would waste it.
  if (in_session_ && w.epoch == session_.epoch) return;
  const bool restarted = ever_welcomed_ && w.epoch != session_.epoch;
  if (restarted) ++counters_.restarts;
  session_ = sane(w, settings_.heartbeat);
  settings_.announced->set(session_.limits);
  ever_welcomed_ = true;
  in_session_ = true;
  hello_wait_ = settings_.hello_interval;
  last_heard_ = now_;
  events_.welcomed(session_, restarted);
}

void dealer_link::on_heartbeat(gateway_io& io, const heartbeat& h) {
  if (!in_session_ || h.epoch == session_.epoch) return;
  // A coordinator that restarted has no session for this peer: say hello to the new one,
  // whose welcome tells the peer of the restart.
  end_session();
  want_hello(io);
}

void dealer_link::on_refusal(gateway_io& io, message& m) {
  ++counters_.refusals_in;
  if (!says_not_hello(std::get<refusal>(m))) return events_.received(std::move(m));
  // The coordinator does not know this peer: it expired it, or restarted and its welcome is
  // still to come.
  if (in_session_) end_session();
  want_hello(io);
}

void dealer_link::on_tick(gateway_io& io, clock::time_point now) {
  now_ = now;
  if (heard_) {
    last_heard_ = now;
    heard_ = false;
  }
  if (!started_) {
    started_ = true;
    return say_hello(io);
  }
  if (!in_session_) {
    if (now - last_hello_ >= hello_wait_) {
      say_hello(io);
      hello_wait_ = std::min<clock::duration>(
          2 * hello_wait_, std::max(settings_.hello_interval, settings_.max_hello_interval));
    }
    return;
  }
  if (now - last_heard_ >= std::chrono::milliseconds(session_.liveness_ms)) {
    end_session();
    return say_hello(io);
  }
  if (now - last_sent() >= std::chrono::milliseconds(session_.heartbeat_ms)) {
    ++counters_.heartbeats_out;
    send(io, encode(heartbeat{session_.epoch}));
  }
}

void dealer_link::end_session() {
  in_session_ = false;
  ++counters_.losses;
  events_.lost();
}

void dealer_link::want_hello(gateway_io& io) {
  // At most one per interval: a burst of refused frames asks for one hello, not one each.
  // Otherwise the next tick past the wait says it.
  if (now_ - last_hello_ >= settings_.hello_interval) say_hello(io);
}

void dealer_link::say_hello(gateway_io& io) {
  ++counters_.hellos;
  last_hello_ = now_;
  send(io, settings_.hello);
}

void dealer_link::send(gateway_io& io, std::string frame) {
  io.send(socket, {}, std::move(frame));
  ++counters_.frames_out;
  note_sent(now_);
}

void dealer_link::note_sent(clock::time_point now) {
  const auto t = now.time_since_epoch().count();
  auto seen = last_sent_.load(std::memory_order_relaxed);
  while (seen < t && !last_sent_.compare_exchange_weak(seen, t, std::memory_order_relaxed)) {
  }
}

dealer_link::clock::time_point dealer_link::last_sent() const {
  return clock::time_point(clock::duration(last_sent_.load(std::memory_order_relaxed)));
}

void dealer_link::drop(drop_reason r) {
  ++counters_.dropped[static_cast<std::size_t>(r)];
}

}  // namespace parallm::nodes
