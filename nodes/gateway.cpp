#include "nodes/gateway.hpp"

#include <arpa/inet.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <exception>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <zmq.hpp>

#include "nodes/curve_keys.hpp"

namespace parallm::nodes {

namespace {

using clock_type = std::chrono::steady_clock;

// How many messages one socket may hand over per wakeup, so that a busy socket cannot starve
// the others (or the outbox) of the thread's attention.
constexpr int receive_batch_cap = 1024;
// How often a backlog is retried: short, since a peer's queue drains at wire speed.
constexpr long backlog_retry_ms = 2;
// What a frame in a backlog costs besides its bytes (the string and the deque's slot), so that
// a flood of empty frames is capped too.
constexpr std::size_t backlog_overhead = 64;
// Where libzmq asks a CURVE server's ZAP handler (RFC 27); one per context.
constexpr const char* zap_endpoint = "inproc://zeromq.zap.01";
// Monitor events handled per wakeup, like receive_batch_cap.
constexpr int monitor_batch_cap = 256;
// A DEALER whose key a server refused is dialed again after this, doubling up to the max: libzmq
// ends such a connection for good (a protocol error is never retried), yet the key may be
// admitted later, and a refused peer cannot tell refusal from a coordinator not there yet.
constexpr std::chrono::milliseconds redial_first{500};
constexpr std::chrono::milliseconds redial_max{5000};
// Connections whose peer address a monitor remembers (until they close); a flood past it only
// makes the no-CURVE log name the endpoint instead of the peer.
constexpr std::size_t max_tracked_connections = 65536;

struct outgoing {
  std::size_t socket;
  std::string routing_id;
  std::string frame;
};

enum class send_outcome { sent, would_block, unreachable };

// Counters bumped by the I/O thread and read by anyone: relaxed atomics, since a snapshot
// needs no consistency between fields.
struct atomic_counters {
  std::atomic<std::uint64_t> frames_in{0};
  std::atomic<std::uint64_t> frames_out{0};
  std::atomic<std::uint64_t> bytes_in{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> unreachable{0};
  std::atomic<std::uint64_t> backlogged{0};
  std::atomic<std::uint64_t> backlog_now{0};
  std::atomic<std::uint64_t> overflowed{0};
  std::atomic<std::uint64_t> handler_errors{0};
};

void bump(std::atomic<std::uint64_t>& c, std::uint64_t by = 1) {
  c.fetch_add(by, std::memory_order_relaxed);
}

void configure(zmq::socket_t& s, const socket_spec& spec) {
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::sndhwm, spec.high_water_mark);
  s.set(zmq::sockopt::rcvhwm, spec.high_water_mark);
  s.set(zmq::sockopt::maxmsgsize, spec.max_message_bytes);
  // ZMTP heartbeats find a dead TCP connection that the kernel would keep for minutes.
  s.set(zmq::sockopt::heartbeat_ivl, 1000);
  s.set(zmq::sockopt::heartbeat_timeout, 5000);
  s.set(zmq::sockopt::heartbeat_ttl, 10000);
  if (spec.curve.enabled()) {
    const auto& c = spec.curve;
    if (spec.kind == socket_spec::role::router_bind) {
      s.set(zmq::sockopt::curve_server, true);
      s.set(zmq::sockopt::zap_domain, c.zap_domain);
    } else {
      s.set(zmq::sockopt::curve_serverkey, c.server_key);
      s.set(zmq::sockopt::curve_publickey, c.public_key);
    }
    s.set(zmq::sockopt::curve_secretkey, c.secret_key);
  }
  if (spec.kind == socket_spec::role::router_bind) {
    // Mandatory: a frame for a gone peer is an error we count, not a silent drop. Handover: a
    // peer reconnecting under the same routing id takes it over from its dead connection.
    s.set(zmq::sockopt::router_mandatory, true);
    s.set(zmq::sockopt::router_handover, true);
  } else {
    s.set(zmq::sockopt::reconnect_ivl, 100);
    s.set(zmq::sockopt::reconnect_ivl_max, 5000);
    if (!spec.routing_id.empty()) s.set(zmq::sockopt::routing_id, spec.routing_id);
  }
}

// The peer's IP address of a connected TCP socket; empty when there is none to tell.
std::string peer_address(int fd) {
  sockaddr_storage address{};
  socklen_t size = sizeof address;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) return {};
  char text[INET6_ADDRSTRLEN] = {};
  const void* ip = nullptr;
  if (address.ss_family == AF_INET) {
    ip = &reinterpret_cast<const sockaddr_in*>(&address)->sin_addr;
  } else if (address.ss_family == AF_INET6) {
    ip = &reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr;
  } else {
    return {};
  }
  return ::inet_ntop(address.ss_family, ip, text, sizeof text) ? std::string(text) : std::string();
}

// A socket monitor (zmq_socket_monitor) and what it learned so far.
//
// On a CURVE server it tells plain-text peers from the rest. libzmq 4.3 reports a mechanism
// mismatch (HANDSHAKE_FAILED_PROTOCOL) only when it saw the peer's whole greeting; a
// plain-text libzmq peer often sees the mismatch first and hangs up with the rest of its
// greeting unsent, and then libzmq reports no handshake event at all. So a connection counts
// as a plain-text peer when it closes having delivered no frame, with no other explanation:
// a refused key (HANDSHAKE_FAILED_AUTH) or another protocol error (a wrong server key,
// garbage) explains one such close each.
struct monitor {
  std::size_t socket;  // the gateway's socket it watches
  zmq::socket_t pair;  // the PAIR end the gateway reads events from
  // Open connections by file descriptor, from ACCEPTED until DISCONNECTED, with the peer's IP
  // when it could still be read (libzmq names only the ROUTER's own endpoint in its events).
  std::map<int, std::string> peers;
  std::set<int> spoke;  // connections that delivered a frame (ZMQ_SRCFD)
  int mismatches = 0;   // mechanism mismatches not yet matched to their close
  int explained = 0;    // other handshake failures not yet matched to their close
  // A DEALER's: when to connect again after its key was refused, and the wait after that.
  std::optional<clock_type::time_point> redial_at;
  std::chrono::milliseconds redial_delay = redial_first;
};

}  // namespace

struct gateway::impl final : gateway_io {
  impl(std::vector<socket_spec> s, gateway_handler& h, std::chrono::milliseconds t,
       gateway_guard* g)
      : specs(std::move(s)),
        handler(h),
        guard(g),
        tick(t),
        wake_fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (wake_fd < 0) {
      throw std::runtime_error(std::string("cannot create the gateway's eventfd: ") +
                               std::strerror(errno));
    }
  }

  ~impl() override { ::close(wake_fd); }

  std::vector<socket_spec> specs;
  gateway_handler& handler;
  gateway_guard* guard;
  std::chrono::milliseconds tick;
  // post() writes it, the I/O thread polls it: a wakeup that needs no ZeroMQ socket, so that
  // any thread may give one.
  int wake_fd;

  zmq::context_t context{1};
  std::vector<zmq::socket_t> sockets;
  std::vector<std::string> endpoints;
  std::optional<zmq::socket_t> zap;  // only with a CURVE server among the sockets
  std::vector<monitor> monitors;     // one per socket with CURVE
  std::vector<monitor*> monitor_of;  // per socket: its monitor on a CURVE server, or null
  std::thread thread;
  std::atomic<bool> stopping{false};
  bool started = false;
  std::once_flag stop_once;

  std::mutex outbox_mutex;
  std::deque<outgoing> outbox;  // guarded by outbox_mutex
  bool closed = false;          // guarded by outbox_mutex: post() after stop() drops

  // The I/O thread's own: frames that would have blocked, per (socket, routing id), in order,
  // and the bytes they hold (each counted with backlog_overhead).
  struct waiting_frames {
    std::deque<std::string> frames;
    std::size_t bytes = 0;
  };
  std::map<std::pair<std::size_t, std::string>, waiting_frames> backlog;
  // Peers whose backlog overflowed, for the handler once the current frame or tick is done.
  std::vector<std::pair<std::size_t, std::string>> overflowed_peers;

  atomic_counters counts;
  bool handler_error_logged = false;
  bool send_error_logged = false;

  void open_zap_handler() {
    const bool server = std::any_of(specs.begin(), specs.end(), [](const socket_spec& spec) {
      return spec.curve.enabled() && spec.kind == socket_spec::role::router_bind;
    });
    if (!server) return;
    // Without a handler libzmq would admit every CURVE peer, whatever its key.
    if (guard == nullptr) throw std::logic_error("a CURVE server socket needs a gateway_guard");
    zap.emplace(context, zmq::socket_type::router);
    zap->set(zmq::sockopt::linger, 0);
    if (zmq_bind(zap->handle(), zap_endpoint) != 0) {
      throw std::runtime_error(std::string("cannot bind the ZAP handler: ") +
                               zmq_strerror(zmq_errno()));
    }
  }

  void open_monitor(std::size_t socket, zmq::socket_t& s) {
    const auto& spec = specs[socket];
    if (!spec.curve.enabled()) return;
    const int events = spec.kind == socket_spec::role::router_bind
                           ? ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                           : ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                 ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
    const auto address = "inproc://parallm.gateway.monitor." + std::to_string(socket);
    if (zmq_socket_monitor(s.handle(), address.c_str(), events) != 0) {
      throw std::runtime_error(std::string("cannot monitor ") + spec.endpoint + ": " +
                               zmq_strerror(zmq_errno()));
    }
    zmq::socket_t pair(context, zmq::socket_type::pair);
    pair.set(zmq::sockopt::linger, 0);
    pair.connect(address);
    monitors.push_back({socket, std::move(pair), {}, {}, 0, 0, std::nullopt, redial_first});
  }

  void open_sockets() {
    open_zap_handler();
    // Reserved up front: monitor_of points into it.
    monitors.reserve(specs.size());
    for (const auto& spec : specs) {
      const bool router = spec.kind == socket_spec::role::router_bind;
      zmq::socket_t s(context, router ? zmq::socket_type::router : zmq::socket_type::dealer);
      configure(s, spec);
      open_monitor(sockets.size(), s);
      const int rc = router ? zmq_bind(s.handle(), spec.endpoint.c_str())
                            : zmq_connect(s.handle(), spec.endpoint.c_str());
      if (rc != 0) {
        throw std::runtime_error(std::string(router ? "cannot bind " : "cannot connect ") +
                                 spec.endpoint + ": " + zmq_strerror(zmq_errno()));
      }
      endpoints.push_back(s.get(zmq::sockopt::last_endpoint));
      sockets.push_back(std::move(s));
    }
    monitor_of.assign(sockets.size(), nullptr);
    for (auto& m : monitors) {
      if (is_router(m.socket)) monitor_of[m.socket] = &m;
    }
  }

  void close_sockets() {
    for (auto& m : monitors) m.pair.close();
    if (zap) zap->close();
    for (auto& s : sockets) s.close();
    context.close();
  }

  void wake() {
    const std::uint64_t one = 1;
    // A full counter (impossible in practice) still leaves the fd readable, which is all a
    // wakeup needs, so the result is not checked.
    [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
  }

  void drain_wake_fd() {
    std::uint64_t value = 0;
    [[maybe_unused]] auto n = ::read(wake_fd, &value, sizeof value);
  }

  bool is_router(std::size_t socket) const {
    return specs[socket].kind == socket_spec::role::router_bind;
  }

  void log_send_error_once(std::size_t socket, int err) {
    if (send_error_logged) return;
    send_error_logged = true;
    std::cerr << "parallm gateway: send on " << endpoints[socket]
              << " failed: " << zmq_strerror(err) << " (frame dropped)\n";
  }

  send_outcome try_send(std::size_t socket, const std::string& routing_id,
                        const std::string& frame) {
    void* s = sockets[socket].handle();
    if (is_router(socket)) {
      // With ROUTER_MANDATORY the routing id part is where a gone or full peer shows; once it
      // is taken, the payload part is too.
      if (zmq_send(s, routing_id.data(), routing_id.size(), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        const int err = zmq_errno();
        if (err == EAGAIN) return send_outcome::would_block;
        if (err != EHOSTUNREACH) log_send_error_once(socket, err);
        return send_outcome::unreachable;
      }
    }
    if (zmq_send(s, frame.data(), frame.size(), ZMQ_DONTWAIT) < 0) {
      const int err = zmq_errno();
      if (err == EAGAIN) return send_outcome::would_block;
      log_send_error_once(socket, err);
      return send_outcome::unreachable;
    }
    bump(counts.frames_out);
    bump(counts.bytes_out, frame.size());
    return send_outcome::sent;
  }

  bool send(std::size_t socket, const std::string& routing_id, std::string frame) override {
    if (socket >= sockets.size()) {
      if (!send_error_logged) {
        send_error_logged = true;
        std::cerr << "parallm gateway: a frame for socket " << socket << " of " << sockets.size()
                  << " (dropped)\n";
      }
      bump(counts.unreachable);
      return false;
    }
    // A DEALER has one queue whatever the routing id, so its backlog has one key.
    auto key = std::make_pair(socket, is_router(socket) ? routing_id : std::string());
    auto waiting = backlog.find(key);
    if (waiting == backlog.end()) {
      switch (try_send(socket, routing_id, frame)) {
        case send_outcome::sent:
          return true;
        case send_outcome::unreachable:
          bump(counts.unreachable);
          return false;
        case send_outcome::would_block:
          waiting = backlog.emplace(std::move(key), waiting_frames()).first;
          break;
      }
    }
    auto& queue = waiting->second;
    const auto cap = specs[socket].max_backlog_bytes;
    if (cap != 0 && queue.bytes + frame.size() + backlog_overhead > cap) {
      // The peer reads nothing of what it is sent: keeping more would grow this process
      // without bound. Its backlog goes, and the handler forgets the peer.
      const auto dropped = queue.frames.size() + 1;
      bump(counts.overflowed, dropped);
      counts.backlog_now.fetch_sub(queue.frames.size(), std::memory_order_relaxed);
      overflowed_peers.push_back(waiting->first);
      backlog.erase(waiting);
      return false;
    }
    // Behind a backlog even when it might go now: frames to one peer keep their order.
    queue.bytes += frame.size() + backlog_overhead;
    queue.frames.push_back(std::move(frame));
    bump(counts.backlogged);
    bump(counts.backlog_now);
    return true;
  }

  // Tells the handler of the peers whose backlog overflowed; outside any send, so that it may
  // forget them (and send) safely.
  void report_overflows() {
    while (!overflowed_peers.empty()) {
      auto peers = std::move(overflowed_peers);
      overflowed_peers.clear();
      // A pair, not structured bindings: clang 14 (scripts/fuzz.sh) cannot capture those.
      for (const auto& peer : peers) {
        guarded([&] { handler.on_overflow(*this, peer.first, peer.second); });
      }
    }
  }

  void retry_backlog() {
    for (auto it = backlog.begin(); it != backlog.end();) {
      auto& [key, queue] = *it;
      while (!queue.frames.empty()) {
        const auto outcome = try_send(key.first, key.second, queue.frames.front());
        if (outcome == send_outcome::would_block) break;
        if (outcome == send_outcome::unreachable) bump(counts.unreachable);
        queue.bytes -= queue.frames.front().size() + backlog_overhead;
        queue.frames.pop_front();
        counts.backlog_now.fetch_sub(1, std::memory_order_relaxed);
      }
      it = queue.frames.empty() ? backlog.erase(it) : std::next(it);
    }
  }

  void send_outbox() {
    std::deque<outgoing> ready;
    {
      std::lock_guard lock(outbox_mutex);
      ready.swap(outbox);
    }
    for (auto& o : ready) send(o.socket, o.routing_id, std::move(o.frame));
  }

  template <typename F>
  void guarded(F&& call) {
    try {
      call();
    } catch (const std::exception& e) {
      note_handler_error(e.what());
    } catch (...) {
      note_handler_error("an exception not derived from std::exception");
    }
  }

  void note_handler_error(const char* what) {
    bump(counts.handler_errors);
    if (handler_error_logged) return;
    handler_error_logged = true;
    std::cerr << "parallm gateway: the frame handler threw (" << what
              << "); counted in handler_errors, further ones are not logged\n";
  }

  // Hands over up to receive_batch_cap messages from one socket; returns how many.
  int receive_from(std::size_t socket) {
    void* s = sockets[socket].handle();
    const bool router = is_router(socket);
    std::string routing_id;
    int received = 0;
    zmq::message_t part;
    zmq::message_t first;
    while (received < receive_batch_cap && !stopping.load(std::memory_order_relaxed)) {
      if (zmq_msg_recv(part.handle(), s, ZMQ_DONTWAIT) < 0) break;  // EAGAIN: nothing more
      routing_id.clear();
      if (router) {
        routing_id.assign(static_cast<const char*>(part.data()), part.size());
        if (!part.more()) continue;  // a routing id without a message: nothing to hand over
        if (zmq_msg_recv(part.handle(), s, 0) < 0) break;
      }
      // ZeroMQ delivers a multipart message whole, so its other parts are already here.
      std::size_t parts = 1;
      std::uint64_t bytes = part.size();
      first.move(part);
      for (bool more = first.more(); more; more = part.more()) {
        if (zmq_msg_recv(part.handle(), s, ZMQ_DONTWAIT) < 0) break;
        ++parts;
        bytes += part.size();
      }
      ++received;
      if (monitor_of[socket] != nullptr) {
        const int fd = zmq_msg_get(first.handle(), ZMQ_SRCFD);
        if (fd >= 0) monitor_of[socket]->spoke.insert(fd);
      }
      bump(counts.frames_in);
      bump(counts.bytes_in, bytes);
      const std::string_view frame(static_cast<const char*>(first.data()), first.size());
      guarded([&] { handler.on_frame(*this, socket, routing_id, frame, parts); });
      report_overflows();
    }
    return received;
  }

  // Receives one whole message (every part) without waiting; empty when there is none.
  static std::vector<zmq::message_t> receive_parts(zmq::socket_t& s) {
    std::vector<zmq::message_t> parts;
    zmq::message_t part;
    if (zmq_msg_recv(part.handle(), s.handle(), ZMQ_DONTWAIT) < 0) return parts;
    bool more = part.more();
    parts.push_back(std::move(part));
    // ZeroMQ delivers a message whole, so its other parts are already here; a cap on them
    // keeps a malformed one from growing this.
    while (more && parts.size() < 16) {
      zmq::message_t next;
      if (zmq_msg_recv(next.handle(), s.handle(), ZMQ_DONTWAIT) < 0) break;
      more = next.more();
      parts.push_back(std::move(next));
    }
    return parts;
  }

  // ZAP requests (RFC 27) through the ROUTER: [peer, empty, version, request id, domain,
  // address, routing id, mechanism, credentials...]; each answered at once.
  void answer_zap() {
    for (int handled = 0; handled < monitor_batch_cap; ++handled) {
      auto request = receive_parts(*zap);
      if (request.empty()) return;
      if (request.size() < 8) continue;  // libzmq never sends one; nothing to answer
      const auto text = [&](std::size_t i) { return request[i].to_string(); };
      const auto mechanism = text(7);
      const auto key = mechanism == "CURVE" && request.size() > 8 ? z85_of(text(8)) : std::string();
      bool admit = false;
      guarded([&] { admit = guard->authorize(text(4), text(5), mechanism, key); });
      const std::string status = admit ? "200" : "400";
      const std::string reason = admit ? "OK" : "not authorized";
      const std::vector<std::string> reply{text(0), "", "1.0", text(3), status, reason, "", ""};
      for (std::size_t i = 0; i < reply.size(); ++i) {
        const int flags = (i + 1 < reply.size() ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT;
        if (zmq_send(zap->handle(), reply[i].data(), reply[i].size(), flags) < 0) break;
      }
    }
  }

  // Monitor events: [event (u16) and value (u32), endpoint].
  void read_monitor(monitor& m) {
    for (int handled = 0; handled < monitor_batch_cap; ++handled) {
      auto event = receive_parts(m.pair);
      if (event.empty()) return;
      if (event.size() < 2 || event[0].size() < 6) continue;
      std::uint16_t kind = 0;
      std::uint32_t value = 0;
      std::memcpy(&kind, event[0].data(), sizeof kind);
      std::memcpy(&value, static_cast<const char*>(event[0].data()) + sizeof kind, sizeof value);
      on_monitor_event(m, kind, value, event[1].to_string());
    }
  }

  void on_monitor_event(monitor& m, std::uint16_t kind, std::uint32_t value,
                        const std::string& endpoint) {
    const int fd = static_cast<int>(value);
    const bool server = is_router(m.socket);
    switch (kind) {
      case ZMQ_EVENT_ACCEPTED:
        if (m.peers.size() >= max_tracked_connections) m.peers.clear();
        m.peers[fd] = peer_address(fd);
        return;
      case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        if (!server) return redial_later(m);
        ++(value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH ? m.mismatches : m.explained);
        return;
      case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        if (server) {
          ++m.explained;  // the guard refused the key, and said so itself
          return;
        }
        if (guard != nullptr) {
          guarded(
              [&] { guard->handshake_failed(m.socket, handshake_failure::key_refused, endpoint); });
        }
        return redial_later(m);
      case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        m.redial_delay = redial_first;
        return;
      case ZMQ_EVENT_DISCONNECTED:
        on_disconnected(m, fd);
        return;
      default:
        return;
    }
  }

  // A DEALER's handshake failed (a refused key, a wrong server key, a plain-text server):
  // libzmq will not retry, so the gateway redials later.
  void redial_later(monitor& m) {
    if (m.redial_at) return;
    m.redial_at = clock_type::now() + m.redial_delay;
    m.redial_delay = std::min(m.redial_delay * 2, redial_max);
  }

  void on_disconnected(monitor& m, int fd) {
    const bool spoke = m.spoke.erase(fd) > 0;
    const auto peer = m.peers.find(fd);
    const bool accepted = peer != m.peers.end();
    std::string address = accepted ? std::move(peer->second) : std::string();
    if (accepted) m.peers.erase(peer);
    if (spoke) return;
    if (m.mismatches > 0) {
      --m.mismatches;
    } else if (m.explained > 0) {
      --m.explained;
      return;
    } else if (!accepted) {
      return;
    }
    // An empty address: the connection was gone before its IP could be read (the gate knows).
    guarded(
        [&] { guard->handshake_failed(m.socket, handshake_failure::plain_text_peer, address); });
  }

  // Connects again each DEALER whose key was refused and whose wait is over (looked at every
  // pass, so within a tick of it). The disconnect drops what libzmq still remembers of the dead
  // connection (nothing, if it already forgot), so that the endpoint is connected once.
  void redial_refused(clock_type::time_point now) {
    for (auto& m : monitors) {
      if (!m.redial_at || now < *m.redial_at) continue;
      m.redial_at.reset();
      const auto& endpoint = specs[m.socket].endpoint;
      void* s = sockets[m.socket].handle();
      zmq_disconnect(s, endpoint.c_str());
      // The endpoint was connected once, so this fails only if libzmq runs out of something;
      // at most once per redial_max.
      if (zmq_connect(s, endpoint.c_str()) != 0) {
        std::cerr << "parallm gateway: cannot connect again to " << endpoint << ": "
                  << zmq_strerror(zmq_errno()) << "\n";
      }
    }
  }

  void run() {
    std::vector<zmq_pollitem_t> items;
    for (auto& s : sockets) items.push_back({s.handle(), 0, ZMQ_POLLIN, 0});
    for (auto& m : monitors) items.push_back({m.pair.handle(), 0, ZMQ_POLLIN, 0});
    if (zap) items.push_back({zap->handle(), 0, ZMQ_POLLIN, 0});
    items.push_back({nullptr, wake_fd, ZMQ_POLLIN, 0});
    // The first tick at once: a dealer's link says hello on it, and every client and worker
    // would otherwise wait a whole tick (100 ms) before it is even known.
    auto next_tick = clock_type::now();
    while (!stopping.load()) {
      try {
        pass(items, next_tick);
      } catch (const std::exception& e) {
        // Only memory running out gets here; the thread must outlive it.
        std::cerr << "parallm gateway: " << e.what() << "\n";
        std::this_thread::sleep_for(std::chrono::milliseconds(backlog_retry_ms));
      }
    }
  }

  // One wait and what follows it: backlog, outbox, every readable socket, and the tick.
  void pass(std::vector<zmq_pollitem_t>& items, clock_type::time_point& next_tick) {
    long timeout_ms = std::max<long>(
        0, std::chrono::ceil<std::chrono::milliseconds>(next_tick - clock_type::now()).count());
    if (!backlog.empty()) timeout_ms = std::min(timeout_ms, backlog_retry_ms);
    if (zmq_poll(items.data(), static_cast<int>(items.size()), timeout_ms) < 0) {
      if (zmq_errno() == EINTR) return;
      throw std::runtime_error(std::string("poll failed: ") + zmq_strerror(zmq_errno()));
    }
    if (stopping.load()) return;
    if (items.back().revents & ZMQ_POLLIN) drain_wake_fd();
    retry_backlog();
    send_outbox();
    report_overflows();
    int received = 0;
    for (std::size_t i = 0; i < sockets.size(); ++i) {
      if (items[i].revents & ZMQ_POLLIN) received += receive_from(i);
    }
    for (std::size_t i = 0; i < monitors.size(); ++i) {
      if (items[sockets.size() + i].revents & ZMQ_POLLIN) read_monitor(monitors[i]);
    }
    if (zap && (items[sockets.size() + monitors.size()].revents & ZMQ_POLLIN)) answer_zap();
    const auto now = clock_type::now();
    redial_refused(now);
    if (received > 0 || now >= next_tick) {
      guarded([&] { handler.on_tick(*this, now); });
      report_overflows();
      if (guard != nullptr) guarded([&] { guard->on_tick(now); });
      next_tick = now + tick;
    }
  }
};

gateway::gateway(std::vector<socket_spec> sockets, gateway_handler& handler,
                 std::chrono::milliseconds tick, gateway_guard* guard)
    : impl_(std::make_unique<impl>(std::move(sockets), handler, tick, guard)) {}

gateway::~gateway() {
  stop();
}

void gateway::start() {
  auto& m = *impl_;
  if (m.started || m.stopping.load()) throw std::logic_error("gateway::start called twice");
  m.started = true;
  try {
    m.open_sockets();
  } catch (...) {
    m.close_sockets();
    {
      std::lock_guard lock(m.outbox_mutex);
      m.closed = true;
      m.outbox.clear();
    }
    throw;
  }
  m.thread = std::thread([&m] { m.run(); });
}

void gateway::post(std::size_t socket, std::string routing_id, std::string frame) {
  auto& m = *impl_;
  bool was_empty = false;
  {
    std::lock_guard lock(m.outbox_mutex);
    if (m.closed) return;
    was_empty = m.outbox.empty();
    m.outbox.push_back({socket, std::move(routing_id), std::move(frame)});
  }
  // One wakeup per batch: the thread takes the whole outbox at once, and a post that finds it
  // non-empty knows a wakeup is already on its way.
  if (was_empty) m.wake();
}

void gateway::stop() {
  auto& m = *impl_;
  std::call_once(m.stop_once, [&m] {
    {
      std::lock_guard lock(m.outbox_mutex);
      m.closed = true;
      m.outbox.clear();
    }
    m.stopping.store(true);
    if (m.thread.joinable()) {
      m.wake();
      m.thread.join();
      m.close_sockets();
    }
  });
}

std::string gateway::endpoint(std::size_t socket) const {
  return impl_->endpoints.at(socket);
}

gateway_counters gateway::counters() const {
  const auto& c = impl_->counts;
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return {get(c.frames_in),   get(c.frames_out),  get(c.bytes_in),
          get(c.bytes_out),   get(c.unreachable), get(c.backlogged),
          get(c.backlog_now), get(c.overflowed),  get(c.handler_errors)};
}

}  // namespace parallm::nodes
