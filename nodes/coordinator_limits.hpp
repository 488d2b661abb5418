#pragma once
// The limits a coordinator puts on everything a peer controls, in one place: the flags of
// `parallm coordinator` fill it, and the coordinator's link and node enforce it. A breach is
// refused with a reason (refuse_reason), never a crash and never memory without bound.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "nodes/protocol.hpp"

namespace parallm::nodes {

struct coordinator_limits {
  // --max-frame-bytes, --max-items-per-frame, --max-string-bytes: what a frame from a peer may
  // hold (PROTOCOL.md, "Limits"); a frame over them is dropped as too_large.
  wire_limits wire;
  // --max-client-in-flight: the credit one batch of a client gets at most (input lines held
  // at the coordinator before the batch's run takes them); a client that sends this many
  // lines past its credit has the batch refused, and lines past the credit are never taken.
  std::uint32_t max_client_in_flight = 65536;
  // --max-batches-per-client: batches one client runs at once (those it submitted and the
  // coordinator has not answered yet included).
  std::uint32_t max_batches_per_client = 16;
  // --max-workers, --max-clients: peers that said hello and are not gone, per socket.
  std::uint32_t max_workers = 1024;
  std::uint32_t max_clients = 256;
};

// Why a peer or what it sent was refused for a limit (counted as `workers.refused.<reason>`
// and `clients.refused.<reason>`).
enum class refuse_reason {
  too_many_peers,    // a hello past --max-workers or --max-clients
  too_many_batches,  // a submit past --max-batches-per-client
  over_credit,       // input lines past the batch's credit by --max-client-in-flight
  backlog_full,      // the peer reads nothing it is sent: its backlog went past its cap
  status_pending,    // a status_request while the client's last one is not answered yet
};
inline constexpr std::size_t refuse_reason_count = 5;

std::string_view to_string(refuse_reason r);

}  // namespace parallm::nodes
