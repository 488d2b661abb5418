#include "nodes/curve_gate.hpp"

#include <optional>

#include "nodes/curve_keys.hpp"

namespace parallm::nodes {
namespace {

std::optional<peer_kind> side_of(std::string_view domain) {
  if (domain == workers_zap_domain) return peer_kind::worker;
  if (domain == clients_zap_domain) return peer_kind::client;
  return std::nullopt;
}

std::string noun(peer_kind side) {
  return side == peer_kind::worker ? "worker" : "client";
}

void bump(std::atomic<std::uint64_t>& c) {
  c.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

curve_gate::decision curve_gate::on_zap(std::string_view domain, std::string_view address,
                                        std::string_view mechanism, const std::string& public_key) {
  const auto side = side_of(domain);
  // Only the gateway's own sockets ask, each with its domain: another one is a bug, refused.
  if (!side)
    return {false, "refused a peer at " + std::string(address) + " on ZAP domain '" +
                       std::string(domain) + "', which is neither workers nor clients"};
  if (mechanism != "CURVE") {
    bump(counts(*side).no_curve);
    return {false, once(*side, address, "",
                        "refused " + noun(*side) + " at " + std::string(address) + ": no CURVE (" +
                            std::string(mechanism) + " peer)")};
  }
  if (authorized_(*side, public_key)) return {true, {}};
  bump(counts(*side).unknown_key);
  return {false, once(*side, address, public_key,
                      "refused " + noun(*side) + " at " + std::string(address) + ": key " +
                          fingerprint(public_key) + " is not authorized")};
}

std::string curve_gate::on_plain_text_peer(peer_kind side, std::string_view address,
                                           std::chrono::steady_clock::time_point now) {
  bump(counts(side).no_curve);
  const auto i = static_cast<std::size_t>(side);
  const auto recent = [&](const auto& when) { return when && now - *when < plain_text_window; };
  if (address.empty()) {
    if (recent(last_plain_[i])) return {};
    auto line = once(side, "", "",
                     "refused " + noun(side) +
                         " at an address gone before it could be read: no CURVE (plain-text peer)");
    if (!line.empty()) last_plain_[i] = last_unknown_[i] = now;
    return line;
  }
  auto line = once(
      side, address, "",
      "refused " + noun(side) + " at " + std::string(address) + ": no CURVE (plain-text peer)");
  // Most likely the peer just logged without its address.
  if (recent(last_unknown_[i])) return {};
  if (!line.empty()) last_plain_[i] = now;
  return line;
}

refusal_counters curve_gate::counters(peer_kind side) const {
  const auto& c = counts_[static_cast<std::size_t>(side)];
  return {c.unknown_key.load(std::memory_order_relaxed),
          c.no_curve.load(std::memory_order_relaxed)};
}

std::string curve_gate::once(peer_kind side, std::string_view address, std::string_view key,
                             std::string line) {
  auto entry = std::make_tuple(side, std::string(address), std::string(key));
  if (logged_.count(entry)) return {};
  if (logged_.size() >= max_logged) {
    if (logging_stopped_) return {};
    logging_stopped_ = true;
    return "more than " + std::to_string(max_logged) +
           " peers refused; further refusals are counted (parallm status) but not logged";
  }
  logged_.insert(std::move(entry));
  return line;
}

}  // namespace parallm::nodes
