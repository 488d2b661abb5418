#pragma once
// Who may pass a coordinator's CURVE handshake, decided without sockets: the gateway hands
// over each ZAP request (the socket's domain, the peer's IP address, the mechanism and the
// peer's public key) and each plain-text peer its monitor saw, and the gate says admit or
// refuse, counts every refusal per side and reason, and says which refusals to log: each
// (side, address, key) once, so that a peer retrying every few seconds cannot flood the log.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include "nodes/peer_table.hpp"

namespace parallm::nodes {

// The ZAP domains of the coordinator's two ROUTER sockets.
inline constexpr std::string_view workers_zap_domain = "workers";
inline constexpr std::string_view clients_zap_domain = "clients";

struct refusal_counters {
  std::uint64_t unknown_key = 0;  // a CURVE peer whose key is not in the side's allow-list
  std::uint64_t no_curve = 0;     // a peer that spoke without CURVE to a CURVE socket
  bool operator==(const refusal_counters&) const = default;
};

class curve_gate {
 public:
  // Whether a Z85 public key is on a side's allow-list right now.
  using key_check = std::function<bool(peer_kind side, const std::string& public_key)>;

  struct decision {
    bool admit = false;
    std::string log;  // a line to log (without the process's prefix), or empty
  };

  explicit curve_gate(key_check authorized) : authorized_(std::move(authorized)) {}

  // One ZAP request. Anything but CURVE on a known domain with a listed key is refused.
  decision on_zap(std::string_view domain, std::string_view address, std::string_view mechanism,
                  const std::string& public_key);
  // A peer whose handshake failed on a mechanism mismatch; the line to log, or empty. address
  // is empty when the peer's connection was gone before its IP could be read, which libzmq
  // makes common: one plain-text peer's attempts then show with and without an IP. So an
  // unknown address is logged once per side, and only when the side logged no plain-text peer
  // in the last plain_text_window; an IP is logged once, and not when an unknown one was just
  // logged.
  std::string on_plain_text_peer(
      peer_kind side, std::string_view address,
      std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  // Long enough to span the retries of one plain-text peer (libzmq's reconnect backoff is
  // 100 ms doubling to 5 s): with 10 s, a peer retrying past it was logged a second time.
  static constexpr std::chrono::seconds plain_text_window{60};

  // Thread-safe: every refusal so far.
  refusal_counters counters(peer_kind side) const;

  // How many (side, address, key) the gate remembers having logged; past it, refusals are
  // still counted but no longer logged, so that a peer trying endless keys cannot grow it.
  static constexpr std::size_t max_logged = 10000;

 private:
  struct side_counts {
    std::atomic<std::uint64_t> unknown_key{0};
    std::atomic<std::uint64_t> no_curve{0};
  };
  side_counts& counts(peer_kind side) { return counts_[static_cast<std::size_t>(side)]; }
  // The line to log once for this refusal, or empty.
  std::string once(peer_kind side, std::string_view address, std::string_view key,
                   std::string line);

  key_check authorized_;
  std::array<side_counts, 2> counts_;
  std::set<std::tuple<peer_kind, std::string, std::string>> logged_;
  // Per side: when a plain-text peer was last logged, and when one without an address was.
  std::array<std::optional<std::chrono::steady_clock::time_point>, 2> last_plain_;
  std::array<std::optional<std::chrono::steady_clock::time_point>, 2> last_unknown_;
  bool logging_stopped_ = false;
};

}  // namespace parallm::nodes
