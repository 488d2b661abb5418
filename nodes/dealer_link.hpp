#pragma once
// The side of a DEALER that talks to a coordinator (a worker's or a client's), on the
// gateway's I/O thread: says hello until welcomed, sends heartbeats on a quiet connection,
// takes the coordinator for gone when it has been silent for the liveness interval, and says
// hello again then, or when the coordinator says it does not know this peer (it restarted, or
// took the peer for dead). A welcome with a new epoch means a new coordinator. Every frame is
// decoded here; one that fails, or a command no coordinator sends to this kind of peer, is
// dropped and counted.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>

#include "nodes/gateway.hpp"
#include "nodes/peer_table.hpp"
#include "nodes/wire_messages.hpp"

namespace parallm::nodes {

// What the peer's actors learn; called on the I/O thread, so it must not block.
class dealer_events {
 public:
  virtual ~dealer_events() = default;
  // Welcomed by the coordinator of `epoch`: the first time, after a restart of it, or after
  // it had taken this peer for gone. Whatever the peer had there is lost: it starts again.
  virtual void welcomed(std::uint64_t epoch) = 0;
  // The coordinator has been silent for the liveness interval.
  virtual void lost() = 0;
  // Any other accepted frame (heartbeats excepted).
  virtual void received(message m) = 0;
};

struct dealer_settings {
  std::string hello;  // the encoded worker_hello or client_hello
  // What to use before the welcome says otherwise: how often to say hello again, and how
  // long silence means the coordinator is gone.
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds liveness{5000};
  wire_limits limits;
};

class dealer_link final : public gateway_handler {
 public:
  // accepts: the commands a coordinator sends this kind of peer, besides welcome, heartbeat
  // and refusal.
  dealer_link(dealer_settings settings, dealer_events& events,
              std::initializer_list<command> accepts);

  void on_frame(gateway_io& io, std::size_t socket, const std::string& routing_id,
                std::string_view frame, std::size_t parts) override;
  void on_tick(gateway_io& io, std::chrono::steady_clock::time_point now) override;

  // Thread-safe: frames dropped by reason (drop_reason order; not_hello: a frame other than a
  // welcome before the first welcome).
  peer_counters counters() const;
  bool welcomed() const;

 private:
  void say_hello(gateway_io& io, std::chrono::steady_clock::time_point now);
  void drop(drop_reason r);

  dealer_settings settings_;
  dealer_events& events_;
  std::array<bool, command_count> accepts_{};
  std::optional<std::uint64_t> epoch_;   // of the coordinator that welcomed this session
  std::atomic<bool> in_session_{false};  // welcomed, and not lost since
  std::chrono::milliseconds heartbeat_;
  std::chrono::milliseconds liveness_;
  std::chrono::steady_clock::time_point last_heard_{};
  std::chrono::steady_clock::time_point last_sent_{};
  std::chrono::steady_clock::time_point last_hello_{};
  bool hello_sent_ = false;
  mutable std::mutex counters_mutex_;
  peer_counters counters_;
};

}  // namespace parallm::nodes
