#pragma once
// The side of a DEALER that talks to a coordinator (a worker's or a client's): the session
// rules of PROTOCOL.md ("A peer's view"), kept once for both kinds of peer. It says hello
// until welcomed, sends heartbeats on a quiet connection, takes the coordinator for gone when
// it has been silent for the liveness interval, and says hello again then, or when the
// coordinator says it does not know this peer (it restarted, or took the peer for dead). Pure
// logic on the gateway's I/O thread, with time from its ticks, so it is tested with a fake
// gateway_io and no sockets.
//
// Every frame is decoded and judged here before the peer sees it: one that fails, a command
// no coordinator sends to this kind of peer, or anything but welcome, heartbeat and refusal
// before a welcome is dropped and counted, never fatal.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "nodes/announced_limits.hpp"
#include "nodes/gateway.hpp"
#include "nodes/peer_table.hpp"
#include "nodes/wire_messages.hpp"

namespace parallm::nodes {

// What the peer learns; called on the I/O thread, so each must be quick (hand the message to
// an actor, write a log line).
class dealer_events {
 public:
  virtual ~dealer_events() = default;
  // A new session with the coordinator of w.epoch: the first, after it had taken this peer
  // for gone, or after it restarted. Whatever the peer had there is lost: it starts again.
  // `restarted`: the epoch is not the last session's, so this is a new coordinator and what
  // the old one handed out (a worker's profiles) is void. A repeated welcome of the session
  // already running is not reported. w's intervals are the ones the link keeps to.
  virtual void welcomed(const welcome& w, bool restarted) = 0;
  // The session ended: the coordinator was silent for the liveness interval, said it does not
  // know this peer, or sent a heartbeat of another epoch. Hello goes out until a welcome.
  virtual void lost() = 0;
  // Any other accepted frame of the session (heartbeats and not_hello refusals excepted).
  virtual void received(message m) = 0;
};

struct dealer_settings {
  std::string hello;  // the encoded worker_hello or client_hello
  // How long after a hello another is said while no welcome answers, doubling each time up to
  // max_hello_interval; also the least time between two hellos that refusals ask for. The
  // wait grows because ZeroMQ queues what a DEALER sends while it has no connection: every
  // hello said to a coordinator that is not up yet reaches it at once when it comes up, and
  // each one is a reconnection there (PROTOCOL.md, "A peer's view").
  std::chrono::milliseconds hello_interval{1000};
  std::chrono::milliseconds max_hello_interval{30000};
  // The heartbeat for a welcome that names none (a coordinator that does not care): the peer
  // still sends one now and then, and still gives up on a silent coordinator.
  std::chrono::milliseconds heartbeat{1000};
  // What this peer accepts (PROTOCOL.md, "Limits").
  wire_limits limits;
  // What the coordinator takes, as its last welcome announced (made sane): the link updates
  // it before telling of the welcome, and whatever splits frames for the coordinator reads it.
  std::shared_ptr<announced_limits> announced = std::make_shared<announced_limits>();
};

struct dealer_counters {
  std::uint64_t frames_in = 0;
  std::uint64_t frames_out = 0;  // sent by the link: hellos, heartbeats, send()
  std::array<std::uint64_t, drop_reason_count> dropped{};
  std::uint64_t hellos = 0;
  std::uint64_t heartbeats_out = 0;
  std::uint64_t refusals_in = 0;
  std::uint64_t restarts = 0;  // welcomes with an epoch other than the last session's
  std::uint64_t losses = 0;    // sessions ended (lost() calls)

  std::uint64_t dropped_for(drop_reason r) const { return dropped[static_cast<std::size_t>(r)]; }
  std::uint64_t dropped_total() const;
};

class dealer_link final : public gateway_handler {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::size_t socket = 0;

  // accepts: the commands a coordinator sends this kind of peer, besides welcome, heartbeat
  // and refusal.
  dealer_link(dealer_settings settings, dealer_events& events,
              std::initializer_list<command> accepts);

  void on_frame(gateway_io& io, std::size_t socket, const std::string& routing_id,
                std::string_view frame, std::size_t parts) override;
  void on_tick(gateway_io& io, clock::time_point now) override;

  // On the I/O thread (from an event): sends a frame on the connection, counted as sent.
  void send(gateway_io& io, std::string frame);
  // Thread-safe: a frame went out through gateway::post at `now`, so no heartbeat is due.
  void note_sent(clock::time_point now);

  // Thread-safe.
  bool welcomed() const { return in_session_; }
  // The epoch of the last welcome's coordinator; 0 before the first.
  std::uint64_t epoch() const { return session_.epoch; }
  // Read on the I/O thread, or once the gateway stopped.
  const dealer_counters& counters() const { return counters_; }

 private:
  void on_welcome(const welcome& w);
  void on_heartbeat(gateway_io& io, const heartbeat& h);
  void on_refusal(gateway_io& io, message& m);
  void end_session();
  void want_hello(gateway_io& io);
  void say_hello(gateway_io& io);
  void drop(drop_reason r);
  clock::time_point last_sent() const;

  dealer_settings settings_;
  dealer_events& events_;
  std::array<bool, command_count> accepts_{};
  welcome session_;  // the last welcome, sanitised; epoch 0 before one
  bool ever_welcomed_ = false;
  std::atomic<bool> in_session_{false};  // welcomed, and not lost since
  bool started_ = false;                 // the first hello went out
  bool heard_ = false;                   // a frame came since the last tick
  clock::time_point now_{};              // the last tick's
  clock::time_point last_heard_{};
  clock::time_point last_hello_{};
  clock::duration hello_wait_{};          // until the next hello while not welcomed
  std::atomic<clock::rep> last_sent_{0};  // since the clock's epoch, so other threads may write
  dealer_counters counters_;
};

}  // namespace parallm::nodes
