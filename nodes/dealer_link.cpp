#include "nodes/dealer_link.hpp"

#include "nodes/wire_codec.hpp"

namespace parallm::nodes {

using clock = std::chrono::steady_clock;

dealer_link::dealer_link(dealer_settings settings, dealer_events& events,
                         std::initializer_list<command> accepts)
    : settings_(std::move(settings)),
      events_(events),
      heartbeat_(settings_.heartbeat),
      liveness_(settings_.liveness) {
  for (const auto c : accepts) accepts_[static_cast<std::size_t>(c)] = true;
}

void dealer_link::say_hello(gateway_io& io, clock::time_point now) {
  io.send(0, "", settings_.hello);
  hello_sent_ = true;
  last_hello_ = now;
  last_sent_ = now;
}

void dealer_link::drop(drop_reason r) {
  std::lock_guard lock(counters_mutex_);
  ++counters_.dropped[static_cast<std::size_t>(r)];
}

void dealer_link::on_frame(gateway_io& io, std::size_t, const std::string&, std::string_view frame,
                           std::size_t parts) {
  const auto now = clock::now();
  auto decoded =
      parts == 1 ? decode(frame, settings_.limits) : decode_result(decode_error::malformed);
  if (!decoded) return drop(static_cast<drop_reason>(decoded.error()));
  auto& m = decoded.value();
  const auto c = command_of(m);
  const bool always = c == command::welcome || c == command::heartbeat || c == command::refusal;
  if (!always && !accepts_[static_cast<std::size_t>(c)]) return drop(drop_reason::wrong_side);
  if (!always && !in_session_) return drop(drop_reason::not_hello);
  {
    std::lock_guard lock(counters_mutex_);
    ++counters_.accepted;
  }
  last_heard_ = now;
  switch (c) {
    case command::welcome: {
      const auto& w = std::get<welcome>(m);
      // The answer to another hello of the same outage (they queue while the connection is
      // down): this session was welcomed already, and starting it again would waste it.
      if (in_session_ && epoch_ == w.epoch) return;
      epoch_ = w.epoch;
      in_session_ = true;
      if (w.heartbeat_ms > 0) heartbeat_ = std::chrono::milliseconds(w.heartbeat_ms);
      if (w.liveness_ms > 0) liveness_ = std::chrono::milliseconds(w.liveness_ms);
      events_.welcomed(w.epoch);
      return;
    }
    case command::heartbeat:
      // A heartbeat from another coordinator than the one that welcomed us: it restarted and
      // does not know us.
      if (in_session_ && epoch_ && std::get<heartbeat>(m).epoch != *epoch_ &&
          now - last_hello_ >= heartbeat_) {
        in_session_ = false;
        events_.lost();
        say_hello(io, now);
      }
      return;
    case command::refusal: {
      const auto& r = std::get<refusal>(m);
      if (r.reason == to_string(drop_reason::not_hello)) {
        // Once per interval: a burst of refused frames asks for one hello, not one each.
        if (in_session_) {
          in_session_ = false;
          events_.lost();
        }
        if (now - last_hello_ >= heartbeat_) say_hello(io, now);
        return;
      }
      events_.received(std::move(m));
      return;
    }
    default:
      events_.received(std::move(m));
  }
}

void dealer_link::on_tick(gateway_io& io, clock::time_point now) {
  if (!hello_sent_) {
    last_heard_ = now;
    return say_hello(io, now);
  }
  if (in_session_ && now - last_heard_ > liveness_) {
    in_session_ = false;
    events_.lost();
  }
  if (!in_session_) {
    if (now - last_hello_ >= heartbeat_) say_hello(io, now);
    return;
  }
  if (now - last_sent_ >= heartbeat_) {
    io.send(0, "", encode(heartbeat{*epoch_}));
    last_sent_ = now;
  }
}

peer_counters dealer_link::counters() const {
  std::lock_guard lock(counters_mutex_);
  return counters_;
}

bool dealer_link::welcomed() const {
  return in_session_;
}

}  // namespace parallm::nodes
