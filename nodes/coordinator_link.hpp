#pragma once
// The coordinator's side of its two ROUTER sockets, on the gateway's I/O thread: decodes every
// frame, lets only peers that said hello through (peer_table), answers hellos with welcome,
// sends heartbeats to quiet peers, expires silent ones, and hands everything else to the
// coordinator's actors through coordinator_events. Frames that fail are dropped and counted
// per socket and reason; the counts are logged when they change and shown by `status`.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "nodes/client_ledger.hpp"
#include "nodes/coordinator_limits.hpp"
#include "nodes/curve_gate.hpp"
#include "nodes/frame_post.hpp"
#include "nodes/gateway.hpp"
#include "nodes/log_level.hpp"
#include "nodes/peer_table.hpp"
#include "nodes/wire_messages.hpp"

namespace parallm::nodes {

// What the actors learn from the sockets; called on the I/O thread, so it must not block.
class coordinator_events {
 public:
  virtual ~coordinator_events() = default;
  // A worker said hello. After a rehello (the same routing id), worker_left came first.
  virtual void worker_joined(const std::string& id, const worker_hello& hello) = 0;
  // Silent for the liveness interval, or about to join again: its tasks go to others.
  virtual void worker_left(const std::string& id) = 0;
  virtual void from_worker(const std::string& id, message m) = 0;
  virtual void client_joined(const std::string& id, const client_hello& hello) = 0;
  virtual void client_left(const std::string& id) = 0;
  virtual void from_client(const std::string& id, message m) = 0;
  // The client's batch was refused for a limit (it sent far past its credit), and the client
  // told so: the batch ends without a batch_done.
  virtual void client_refused(const std::string& id, std::uint64_t batch) = 0;
};

struct link_settings {
  std::uint64_t epoch = 0;
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds liveness{5000};  // silence after which a peer is taken for dead
  coordinator_limits limits;
  // The clients' batches and credit, shared with the node; without one (tests of the link
  // alone) submits and items go on unchecked.
  std::shared_ptr<client_ledger> ledger;
  std::string log_name = "parallm coordinator";  // prefixes the log lines on stderr
  log_level level = log_level::info;             // drops and refusals are warnings
};

// What `status` shows of the sockets: the peers' last signs of life and the frame counts.
struct link_snapshot {
  std::map<std::string, std::chrono::steady_clock::time_point> workers_heard;
  peer_counters workers;
  peer_counters clients;
  // Peers the CURVE handshake refused (coordinator_guard); zero without CURVE. The link does
  // not see them: its owner fills them in.
  refusal_counters workers_refused;
  refusal_counters clients_refused;
};

class coordinator_link final : public gateway_handler {
 public:
  coordinator_link(link_settings settings, coordinator_events& events);

  void on_frame(gateway_io& io, std::size_t socket, const std::string& routing_id,
                std::string_view frame, std::size_t parts) override;
  void on_tick(gateway_io& io, std::chrono::steady_clock::time_point now) override;
  // The peer reads nothing it is sent: it is forgotten (as if expired) and counted.
  void on_overflow(gateway_io& io, std::size_t socket, const std::string& routing_id) override;

  // Thread-safe: as of the last tick.
  link_snapshot snapshot() const;

 private:
  void admit(gateway_io& io, std::size_t socket, const std::string& id, const message& hello,
             bool again);
  void send(gateway_io& io, std::size_t socket, const std::string& id, const message& m,
            std::chrono::steady_clock::time_point now);
  void log_drops(std::chrono::steady_clock::time_point now);
  // A client's submit or items checked against the ledger; false when refused here.
  bool client_may(gateway_io& io, const std::string& id, const message& m,
                  std::chrono::steady_clock::time_point now);
  void refuse(gateway_io& io, std::size_t socket, const std::string& id, refuse_reason why,
              const refusal& answer, std::chrono::steady_clock::time_point now);
  void log_refusal_once(std::size_t socket, const std::string& id, refuse_reason why,
                        const std::string& text);
  // Logs `line` the first time `key` is seen (capped; see logged_refusals_).
  void log_once(const std::string& key, const std::string& line);

  link_settings settings_;
  coordinator_events& events_;
  peer_table workers_;
  peer_table clients_;
  // (socket, peer, reason) already logged: each is logged once. Capped, since a hostile peer
  // can make up routing ids without end; past the cap refusals are only counted.
  std::set<std::string> logged_refusals_;
  std::string welcome_frame_;
  std::string heartbeat_frame_;
  std::uint64_t logged_drops_ = 0;
  std::chrono::steady_clock::time_point last_drop_log_{};
  mutable std::mutex snapshot_mutex_;
  link_snapshot snapshot_;
};

}  // namespace parallm::nodes
