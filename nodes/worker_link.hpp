#pragma once
// A worker's side of its one connection to the coordinator (socket 0 of its gateway, a DEALER):
// saying hello until welcomed, heartbeats, taking the coordinator for gone and back, and
// turning the frames that come in into the actors' messages. Pure logic on the gateway's I/O
// thread, with time from its ticks, so it is tested with a fake gateway_io and no sockets.
//
// What arrives is judged before it is used (PROTOCOL.md, "A worker's view"): a frame that does
// not decode, a command a coordinator never sends to a worker, or anything but welcome,
// heartbeat and refusal before a welcome is dropped and counted, never fatal. Results go out
// another way: the node posts them to the gateway itself and tells the link (note_sent), so a
// busy connection needs no heartbeats.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "nodes/gateway.hpp"
#include "nodes/peer_table.hpp"
#include "nodes/protocol.hpp"
#include "nodes/wire_convert.hpp"
#include "nodes/wire_messages.hpp"

namespace parallm::nodes {

// What the link tells the rest of the worker process; called on the I/O thread, so each must
// be quick (hand the message to an actor, write a log line).
class worker_link_listener {
 public:
  virtual ~worker_link_listener() = default;
  virtual void on_profiles(actors::batch_profiles profiles) = 0;
  virtual void on_tasks(actors::task_batch tasks) = 0;
  // The coordinator restarted (a welcome or heartbeat with a new epoch): the profiles held are
  // an older coordinator's, and so are the tasks in flight, whose answers it will drop.
  virtual void on_coordinator_restarted() = 0;
  // Welcomed: `again` is false for the first welcome of this process.
  virtual void on_joined(const welcome& w, bool again) = 0;
  // Nothing heard for liveness_ms: the link says hello until it is welcomed again.
  virtual void on_lost() = 0;
};

struct worker_link_options {
  std::string name;
  std::string host;
  std::uint32_t capacity = 64;
  // How long after a hello another is said while no welcome answers, doubling each time up to
  // max_hello_interval; also the least time between two hellos that refusals ask for. The
  // wait grows because ZeroMQ queues what a DEALER sends while it has no connection: every
  // hello said to a coordinator that is not up yet reaches it at once when it comes up, and
  // each one is a reconnection there (PROTOCOL.md, "A worker's view").
  std::chrono::milliseconds hello_interval{1000};
  std::chrono::milliseconds max_hello_interval{30000};
  // What this worker accepts (PROTOCOL.md, "Limits"); results sent keep within the same.
  wire_limits limits;
};

struct worker_link_counters {
  std::uint64_t frames_in = 0;
  std::uint64_t frames_out = 0;  // sent by the link itself: hellos, heartbeats, refusals' answers
  std::array<std::uint64_t, drop_reason_count> dropped{};
  // Task frames whose conversion failed (wire_convert's errors); their tasks were answered
  // with final failures.
  std::array<std::uint64_t, convert_error_count> refused{};
  std::uint64_t hellos = 0;
  std::uint64_t heartbeats_out = 0;
  std::uint64_t refusals_in = 0;
  std::uint64_t restarts = 0;  // welcomes or heartbeats with a new epoch
  std::uint64_t losses = 0;    // times the coordinator was taken for gone
  std::uint64_t profiles = 0;  // batch_profiles passed on
  std::uint64_t tasks = 0;     // tasks passed on
  std::uint64_t refused_tasks = 0;

  std::uint64_t dropped_for(drop_reason r) const { return dropped[static_cast<std::size_t>(r)]; }
  std::uint64_t refused_for(convert_error e) const { return refused[static_cast<std::size_t>(e)]; }
  std::uint64_t dropped_total() const;
};

class worker_link final : public gateway_handler {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::size_t socket = 0;

  worker_link(worker_link_options options, worker_link_listener& listener);

  void on_frame(gateway_io& io, std::size_t socket, const std::string& routing_id,
                std::string_view frame, std::size_t parts) override;
  void on_tick(gateway_io& io, clock::time_point now) override;

  // Thread-safe: a frame went out through gateway::post at `now`, so no heartbeat is due.
  void note_sent(clock::time_point now);

  bool welcomed() const { return welcomed_; }
  std::uint64_t epoch() const { return welcome_.epoch; }
  // Read on the I/O thread, or once the gateway stopped.
  const worker_link_counters& counters() const { return counters_; }

 private:
  void handle(gateway_io& io, message& m);
  void on_welcome(gateway_io& io, const welcome& w);
  void on_heartbeat(gateway_io& io, const heartbeat& h);
  void on_refusal(gateway_io& io, const refusal& r);
  void on_task_frame(gateway_io& io, task_frame& f);
  void restarted(std::uint64_t epoch);
  void want_hello(gateway_io& io);
  void say_hello(gateway_io& io);
  void send(gateway_io& io, const message& m);
  void drop(drop_reason r);
  clock::time_point last_sent() const;

  worker_link_options options_;
  worker_link_listener& listener_;
  worker_link_counters counters_;
  profile_counts profile_counts_;
  welcome welcome_;        // the last one; epoch 0 before the first
  bool started_ = false;   // the first hello went out
  bool welcomed_ = false;  // welcomed, and not taken for gone since
  bool ever_welcomed_ = false;
  bool heard_ = false;       // a frame came since the last tick
  clock::time_point now_{};  // the last tick's
  clock::time_point last_heard_{};
  clock::time_point last_hello_{};
  clock::duration hello_wait_{};          // until the next hello while not welcomed
  std::atomic<clock::rep> last_sent_{0};  // since the clock's epoch, so the node may write it
};

}  // namespace parallm::nodes
