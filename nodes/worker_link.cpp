#include "nodes/worker_link.hpp"

#include <algorithm>
#include <numeric>
#include <utility>
#include <variant>
#include <vector>

#include "actors/messages.hpp"
#include "nodes/result_frames.hpp"
#include "nodes/wire_codec.hpp"

namespace parallm::nodes {
namespace {

// A welcome with no intervals (a coordinator that does not care) still gets a heartbeat now
// and then, and a worker that gives up on a silent coordinator.
constexpr std::uint32_t fallback_heartbeat_ms = 1000;
constexpr std::uint32_t liveness_heartbeats = 3;

// The commands a coordinator sends to a worker (PROTOCOL.md, "Commands").
bool coordinator_sends(command c) {
  switch (c) {
    case command::welcome:
    case command::heartbeat:
    case command::batch_profiles:
    case command::tasks:
    case command::refusal:
      return true;
    default:
      return false;
  }
}

// Before a welcome the coordinator has no session for this worker, so profiles and tasks
// cannot be meant for it: they belong to a session it dropped (PROTOCOL.md, "A worker's view").
bool before_welcome(command c) {
  return c == command::welcome || c == command::heartbeat || c == command::refusal;
}

drop_reason reason_of(decode_error e) {
  return static_cast<drop_reason>(e);
}

// The refusal a coordinator sends a peer it does not know (peer_table's not_hello).
bool says_not_hello(const refusal& r) {
  return r.refused != command::worker_hello &&
         r.reason.find(to_string(drop_reason::not_hello)) != std::string::npos;
}

welcome sane(welcome w) {
  if (w.heartbeat_ms == 0) w.heartbeat_ms = fallback_heartbeat_ms;
  if (w.liveness_ms <= w.heartbeat_ms) w.liveness_ms = liveness_heartbeats * w.heartbeat_ms;
  return w;
}

struct task_identity {
  task_key key;
  std::uint32_t attempt = 0;
  std::uint32_t generation = 0;
};

}  // namespace

std::uint64_t worker_link_counters::dropped_total() const {
  return std::accumulate(dropped.begin(), dropped.end(), std::uint64_t{0});
}

worker_link::worker_link(worker_link_options options, worker_link_listener& listener)
    : options_(std::move(options)), listener_(listener), hello_wait_(options_.hello_interval) {}

void worker_link::note_sent(clock::time_point now) {
  const auto t = now.time_since_epoch().count();
  auto seen = last_sent_.load(std::memory_order_relaxed);
  while (seen < t && !last_sent_.compare_exchange_weak(seen, t, std::memory_order_relaxed)) {
  }
}

worker_link::clock::time_point worker_link::last_sent() const {
  return clock::time_point(clock::duration(last_sent_.load(std::memory_order_relaxed)));
}

void worker_link::on_frame(gateway_io& io, std::size_t, const std::string&, std::string_view frame,
                           std::size_t parts) {
  ++counters_.frames_in;
  // A frame of this protocol is one part; more is not a frame at all.
  if (parts != 1) return drop(drop_reason::malformed);
  auto decoded = decode(frame, options_.limits);
  if (!decoded) return drop(reason_of(decoded.error()));
  const auto c = command_of(decoded.value());
  if (!coordinator_sends(c)) return drop(drop_reason::wrong_side);
  if (!welcomed_ && !before_welcome(c)) return drop(drop_reason::not_hello);
  heard_ = true;
  handle(io, decoded.value());
}

void worker_link::handle(gateway_io& io, message& m) {
  if (auto* w = std::get_if<welcome>(&m)) return on_welcome(io, *w);
  if (auto* h = std::get_if<heartbeat>(&m)) return on_heartbeat(io, *h);
  if (auto* r = std::get_if<refusal>(&m)) return on_refusal(io, *r);
  if (auto* f = std::get_if<task_frame>(&m)) return on_task_frame(io, *f);
  if (auto* b = std::get_if<batch_profiles>(&m)) {
    profile_counts_[b->batch] = b->profiles.size();
    ++counters_.profiles;
    listener_.on_profiles(from_wire(std::move(*b)));
  }
}

void worker_link::on_welcome(gateway_io&, const welcome& w) {
  if (ever_welcomed_ && w.epoch != welcome_.epoch) restarted(w.epoch);
  // Every hello is answered; a second welcome of the same session is not news.
  const bool news = !welcomed_;
  const bool again = ever_welcomed_;
  welcome_ = sane(w);
  welcomed_ = true;
  hello_wait_ = options_.hello_interval;
  ever_welcomed_ = true;
  last_heard_ = now_;
  if (news) listener_.on_joined(welcome_, again);
}

void worker_link::on_heartbeat(gateway_io& io, const heartbeat& h) {
  if (!welcomed_ || h.epoch == welcome_.epoch) return;
  // A coordinator that restarted has no session for this worker: say hello to the new one.
  restarted(h.epoch);
  welcomed_ = false;
  want_hello(io);
}

void worker_link::on_refusal(gateway_io& io, const refusal& r) {
  ++counters_.refusals_in;
  if (!says_not_hello(r)) return;
  // The coordinator does not know this worker: it expired it, or restarted and its welcome
  // is still to come.
  if (welcomed_) {
    welcomed_ = false;
    listener_.on_lost();
  }
  want_hello(io);
}

void worker_link::on_task_frame(gateway_io& io, task_frame& f) {
  std::vector<task_identity> ids;
  ids.reserve(f.tasks.size());
  for (const auto& t : f.tasks) ids.push_back({t.key, t.attempt, t.generation});
  auto converted = from_wire(std::move(f), profile_counts_);
  if (converted) {
    counters_.tasks += ids.size();
    listener_.on_tasks(std::move(converted.value()));
    return;
  }
  // One bad task makes the frame suspect, but every task in it still holds a credit at the
  // coordinator: each is answered with a final failure, which returns the credit and fails
  // the item by name instead of leaving it in flight until the worker is given up.
  const auto failure = converted.error();
  ++counters_.refused[static_cast<std::size_t>(failure.error)];
  counters_.refused_tasks += ids.size();
  const auto why = std::string(to_string(failure.error));
  std::vector<actors::attempt_result> answers;
  answers.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    actors::attempt_result r;
    r.key = ids[i].key;
    r.attempt = ids[i].attempt;
    r.generation = ids[i].generation;
    r.outcome.kind = providers::outcome_kind::final;
    r.outcome.error = i == failure.index
                          ? "task refused by the worker: " + why
                          : "task refused by the worker: task " + std::to_string(failure.index) +
                                " of its frame had " + why;
    answers.push_back(std::move(r));
  }
  for (auto& frame : result_frames(std::move(answers), options_.limits).frames) {
    io.send(socket, {}, std::move(frame));
    ++counters_.frames_out;
  }
  note_sent(now_);
}

void worker_link::on_tick(gateway_io& io, clock::time_point now) {
  now_ = now;
  if (heard_) {
    last_heard_ = now;
    heard_ = false;
  }
  if (!started_) {
    started_ = true;
    return say_hello(io);
  }
  if (!welcomed_) {
    if (now - last_hello_ >= hello_wait_) {
      say_hello(io);
      hello_wait_ = std::min<clock::duration>(
          2 * hello_wait_, std::max(options_.hello_interval, options_.max_hello_interval));
    }
    return;
  }
  if (now - last_heard_ >= std::chrono::milliseconds(welcome_.liveness_ms)) {
    welcomed_ = false;
    ++counters_.losses;
    listener_.on_lost();
    return say_hello(io);
  }
  if (now - last_sent() >= std::chrono::milliseconds(welcome_.heartbeat_ms)) {
    ++counters_.heartbeats_out;
    send(io, heartbeat{welcome_.epoch});
  }
}

void worker_link::restarted(std::uint64_t epoch) {
  ++counters_.restarts;
  profile_counts_.clear();
  welcome_.epoch = epoch;
  listener_.on_coordinator_restarted();
}

void worker_link::want_hello(gateway_io& io) {
  // Otherwise the next tick past the interval says it.
  if (now_ - last_hello_ >= options_.hello_interval) say_hello(io);
}

void worker_link::say_hello(gateway_io& io) {
  ++counters_.hellos;
  last_hello_ = now_;
  send(io, worker_hello{options_.name, options_.host, options_.capacity});
}

void worker_link::send(gateway_io& io, const message& m) {
  io.send(socket, {}, encode(m));
  ++counters_.frames_out;
  note_sent(now_);
}

void worker_link::drop(drop_reason r) {
  ++counters_.dropped[static_cast<std::size_t>(r)];
}

}  // namespace parallm::nodes
