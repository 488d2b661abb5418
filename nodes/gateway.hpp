#pragma once
// The one I/O thread of a process that talks over ZeroMQ: it owns the process's sockets (the
// coordinator's two ROUTERs, a worker's or client's DEALER) and nothing else touches them.
//
// Frames in: the thread hands each one to a gateway_handler, on the I/O thread, which decodes
// it and passes it on (to actors, with anon_send). Frames out: any thread post()s them; the
// I/O thread sends them, in order per peer, without ever blocking on a slow peer. A send that
// would block (the peer's queue is at its high-water mark) is kept and retried; a frame for a
// peer that is gone (ZMQ_ROUTER_MANDATORY says so) is dropped and counted, never silently.
// Credit (PROTOCOL.md) keeps every queue below its high-water mark, so in practice the backlog
// stays empty; a peer that stops reading must not grow it without bound, though, so a ROUTER
// peer's backlog may be capped (socket_spec::max_backlog_bytes): past the cap it is dropped,
// counted, and the handler is told (gateway_handler::on_overflow), which forgets the peer.
//
// Socket options: linger 0; ROUTERs with ROUTER_MANDATORY and ROUTER_HANDOVER; DEALERs
// reconnect by themselves with capped exponential backoff (100 ms up to 5 s); ZMTP heartbeats
// close dead TCP connections; ZMQ_MAXMSGSIZE is a hard cap well above the wire's frame limit,
// so that an oversized frame still arrives to be counted as too_large.
//
// CURVE (PROTOCOL.md, "Security"): a socket with a secret key encrypts and authenticates its
// connections. A ROUTER is then a CURVE server: the gateway serves ZAP itself, on its own I/O
// thread (a ROUTER bound at inproc://zeromq.zap.01 in its context, before any other socket),
// and asks a gateway_guard about each peer's key; a socket monitor shows it the peers that
// spoke plain text to it. A DEALER is a CURVE client; its monitor shows a server refusing its
// key.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parallm::nodes {

// ZeroMQ's own cap on a message (ZMQ_MAXMSGSIZE) unless a socket_spec says otherwise.
inline constexpr std::int64_t default_max_message_bytes = 64 << 20;

struct curve_settings {
  std::string secret_key;  // Z85; empty: plain text
  std::string public_key;  // a client's own, Z85
  std::string server_key;  // a client's: the server's public key, Z85
  std::string zap_domain;  // a server's: which allow-list the guard checks its peers against
  bool enabled() const { return !secret_key.empty(); }
};

struct socket_spec {
  enum class role {
    router_bind,     // a coordinator's socket for workers or for clients
    dealer_connect,  // a worker's or a client's socket to the coordinator
  };
  role kind = role::router_bind;
  std::string endpoint;  // a ZeroMQ endpoint; tcp://127.0.0.1:* binds a free port
  // Messages queued per peer, each way, before a send would block (ZMQ_SNDHWM, ZMQ_RCVHWM).
  // Generous, since credit bounds the traffic; a test shrinks it to make the backlog appear.
  int high_water_mark = 10000;
  // A DEALER's routing id at the ROUTER (ZMQ_ROUTING_ID); empty: one the ROUTER picks. A client
  // keeps its own across reconnections, so the coordinator knows it for the same client.
  std::string routing_id;
  // Bytes kept for one peer whose queue is full, past which its backlog is dropped (a frame
  // counts its size plus 64); 0: no cap. A coordinator caps its ROUTERs' (a peer that reads,
  // under credit, never comes near it); a worker's or client's DEALER keeps all it has for its
  // coordinator, which credit bounds, since dropping it would lose work.
  std::size_t max_backlog_bytes = 0;
  // ZMQ_MAXMSGSIZE: a message larger than this is refused by ZeroMQ itself, which drops the
  // connection; it stays well above the wire's frame limit, so that an oversized frame still
  // arrives to be counted as too_large.
  std::int64_t max_message_bytes = default_max_message_bytes;

  curve_settings curve{};  // CURVE server (router_bind) or client (dealer_connect) when enabled
};

// What a handler may do from the I/O thread, while handling a frame or a tick.
class gateway_io {
 public:
  virtual ~gateway_io() = default;
  // Sends one frame to a peer of a ROUTER socket (its routing id) or through a DEALER (routing
  // id ignored). False when the peer is gone (the frame is dropped and counted); a frame that
  // would block is kept and sent later, in order, and counts as sent.
  virtual bool send(std::size_t socket, const std::string& routing_id, std::string frame) = 0;
};

// Runs on the I/O thread only, so it needs no locks for its own state; it must not block, and
// it should not throw: an exception is caught, counted and logged once, and the thread goes on.
class gateway_handler {
 public:
  virtual ~gateway_handler() = default;
  // One message from a socket. `parts` counts its payload parts after the routing id: a frame
  // of this protocol is exactly one part, and `frame` is the first (empty when there is none).
  virtual void on_frame(gateway_io& io, std::size_t socket, const std::string& routing_id,
                        std::string_view frame, std::size_t parts) = 0;
  // Called as the I/O thread starts, then at least once per tick interval and after every
  // batch of frames handled.
  virtual void on_tick(gateway_io& io, std::chrono::steady_clock::time_point now) = 0;
  // A peer's backlog went past socket_spec::max_backlog_bytes and was dropped: the peer does
  // not read what it is sent. Called after the frame or tick that overflowed it, never from
  // inside gateway_io::send.
  virtual void on_overflow(gateway_io& io, std::size_t socket, const std::string& routing_id) {
    (void)io, (void)socket, (void)routing_id;
  }
};

enum class handshake_failure {
  plain_text_peer,  // on a CURVE server: a peer without CURVE (a mechanism mismatch)
  key_refused,      // on a CURVE client: the server refused our key
};

// Who passes a CURVE handshake, asked on the I/O thread (so it must not block).
class gateway_guard {
 public:
  virtual ~gateway_guard() = default;
  // One ZAP request: a CURVE server socket's domain, the peer's IP address, its mechanism
  // and its public key (Z85). True admits the peer.
  virtual bool authorize(std::string_view domain, std::string_view address,
                         std::string_view mechanism, const std::string& public_key) = 0;
  // A handshake that failed, as the socket's monitor told it. `address` is the peer's IP when
  // the gateway could learn it; empty when the connection was gone before it could (libzmq's
  // event names only the ROUTER's own endpoint).
  virtual void handshake_failed(std::size_t socket, handshake_failure what,
                                const std::string& address) = 0;
  // At every tick of the I/O thread.
  virtual void on_tick(std::chrono::steady_clock::time_point now) = 0;
};

struct gateway_counters {
  std::uint64_t frames_in = 0;
  std::uint64_t frames_out = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t unreachable = 0;     // frames for a peer that was gone, dropped
  std::uint64_t backlogged = 0;      // frames that would have blocked and were kept for later
  std::uint64_t backlog_now = 0;     // frames waiting in the backlog right now
  std::uint64_t overflowed = 0;      // frames dropped with a backlog that went past its cap
  std::uint64_t handler_errors = 0;  // exceptions out of the handler: a bug, caught and counted
};

class gateway {
 public:
  // A guard is needed when a ROUTER has CURVE (start() throws std::logic_error without one)
  // and lets a DEALER with CURVE say that its key was refused; it must outlive the gateway.
  gateway(std::vector<socket_spec> sockets, gateway_handler& handler,
          std::chrono::milliseconds tick = std::chrono::milliseconds(100),
          gateway_guard* guard = nullptr);
  ~gateway();  // stops the thread if it runs
  gateway(const gateway&) = delete;
  gateway& operator=(const gateway&) = delete;

  // Binds or connects every socket and starts the I/O thread. Throws std::runtime_error naming
  // the endpoint and the reason ("cannot bind tcp://0.0.0.0:5555: Address already in use"),
  // std::logic_error when called a second time.
  void start();
  // Thread-safe: queues a frame for the I/O thread to send as gateway_io::send does. Frames
  // posted before start() wait for it; frames posted after stop() are dropped.
  void post(std::size_t socket, std::string routing_id, std::string frame);
  // Stops the I/O thread and closes the sockets; frames not yet sent are dropped. Idempotent.
  void stop();

  // The endpoint a socket actually bound or connected to (a bound `*` port resolved).
  std::string endpoint(std::size_t socket) const;
  // Thread-safe snapshot.
  gateway_counters counters() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace parallm::nodes
