#pragma once
// What the coordinator's gateway knows about the peers on one ROUTER socket: who has said
// hello, what each incoming frame may do, when each peer was last heard from and last sent
// to. Pure bookkeeping with injected time, so the liveness rules are tested without sockets.
//
// One table per socket (workers, clients): a ZeroMQ routing id is only unique within its
// socket, and a peer may choose its own (ZMQ_ROUTING_ID), so a worker and a client could
// share one.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "nodes/coordinator_limits.hpp"
#include "nodes/protocol.hpp"
#include "nodes/wire_codec.hpp"

namespace parallm::nodes {

enum class peer_kind { worker, client };

// Why a frame was dropped. The first five are decode_error's, in its order.
enum class drop_reason {
  too_large,
  malformed,
  unknown_version,
  unknown_command,
  wrong_shape,
  not_hello,   // a frame other than a hello from a peer that has not said hello (or has expired)
  wrong_side,  // a command this socket's kind of peer never sends to a coordinator
};
inline constexpr std::size_t drop_reason_count = 7;

std::string_view to_string(drop_reason r);

// What the gateway does with a frame.
enum class frame_action {
  admit,    // a first hello: answer welcome; a worker joins with its capacity as credit
  readmit,  // a hello from a known peer: it restarted its session (see peer_table::on_frame)
  repeat,   // the same hello again before anything else: it queued while the connection was
            // down; answer welcome again, nothing else changes
  route,    // pass the message on
  drop,     // count it (done here) and maybe answer a refusal naming the reason
  refuse,   // a hello past the table's most peers: counted (done here), answered with a refusal
};

struct verdict {
  frame_action action = frame_action::drop;
  drop_reason reason = drop_reason::malformed;            // only meaningful for drop
  refuse_reason refused = refuse_reason::too_many_peers;  // only meaningful for refuse
  bool operator==(const verdict&) const = default;
};

struct peer_info {
  peer_kind kind = peer_kind::worker;
  std::string name;  // a worker's name or a client's id
  std::string host;
  std::uint32_t capacity = 0;  // a worker's, from its hello; 0 for a client
  std::chrono::steady_clock::time_point last_heard;
  std::chrono::steady_clock::time_point last_sent;
  bool spoke = false;  // sent anything but a hello since its last hello
};

struct peer_counters {
  std::uint64_t accepted = 0;  // admitted, readmitted or routed
  std::array<std::uint64_t, drop_reason_count> dropped{};
  // Peers or frames refused for a limit (coordinator_limits), by reason.
  std::array<std::uint64_t, refuse_reason_count> refused{};

  std::uint64_t dropped_for(drop_reason r) const { return dropped[static_cast<std::size_t>(r)]; }
  std::uint64_t refused_for(refuse_reason r) const { return refused[static_cast<std::size_t>(r)]; }
  std::uint64_t frames() const;
};

class peer_table {
 public:
  using clock = std::chrono::steady_clock;

  // The kind of peer that connects to this table's socket, and how many may have said hello
  // and not be gone at once: a hello from one more is refused (too_many_peers).
  explicit peer_table(peer_kind side, std::size_t max_peers = 1u << 20)
      : side_(side), max_peers_(max_peers) {}

  // Classifies one incoming frame and counts it. A hello admits the peer; a hello from a
  // known peer readmits it: the peer dropped its session (it took the coordinator for gone,
  // or restarted on the same routing id), so the caller forgets the old one (a worker's
  // in-flight tasks go back to their queues, its credit restarts at the new capacity) and
  // welcomes it again. Any accepted frame counts as a sign of life.
  verdict on_frame(const std::string& routing_id, const decode_result& frame,
                   clock::time_point now);

  // Records that a frame went to the peer, so it needs no heartbeat until `interval` later.
  void note_sent(const std::string& routing_id, clock::time_point now);

  // Peers silent for longer than `liveness`, in routing id order; they are removed, so their
  // next frame other than a hello is dropped as not_hello.
  std::vector<std::string> expired(clock::time_point now, clock::duration liveness);

  // Peers sent nothing for `interval` or more, in routing id order; each is taken as sent to
  // at `now`, so the caller must send each a heartbeat.
  std::vector<std::string> due_heartbeats(clock::time_point now, clock::duration interval);

  // Forgets a peer at once (its backlog overflowed: it reads nothing); its next frame other
  // than a hello is dropped as not_hello. False when it was not known.
  bool forget(const std::string& routing_id);
  // Counts a refusal the caller made for a limit this table does not know (a client's batches).
  void count_refusal(refuse_reason r) { ++counters_.refused[static_cast<std::size_t>(r)]; }

  const peer_info* find(const std::string& routing_id) const;
  const std::map<std::string, peer_info>& peers() const { return peers_; }
  const peer_counters& counters() const { return counters_; }

 private:
  verdict drop(drop_reason r);

  peer_kind side_;
  std::size_t max_peers_;
  std::map<std::string, peer_info> peers_;
  peer_counters counters_;
};

}  // namespace parallm::nodes
