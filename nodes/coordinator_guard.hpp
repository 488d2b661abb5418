#pragma once
// The coordinator's gateway_guard with CURVE on: each side's allow-list directory (one may
// serve both), the gate that decides and counts, and the log. The lists are re-read when a
// directory changed (looked at every second, on the I/O thread) and soon after reload_soon()
// (SIGHUP), so that a key copied in admits its peer on its next attempt, without a restart.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "nodes/authorized_keys.hpp"
#include "nodes/curve_gate.hpp"
#include "nodes/gateway.hpp"

namespace parallm::nodes {

struct coordinator_guard_options {
  std::filesystem::path workers_keys;  // allow-list directory for workers
  std::filesystem::path clients_keys;  // for clients; the same path shares one list
  std::string log_name = "parallm coordinator";
  std::chrono::milliseconds rescan{1000};  // how often the directories are looked at
};

class coordinator_guard final : public gateway_guard {
 public:
  explicit coordinator_guard(coordinator_guard_options options);

  // Reads the directories first, before the gateway starts; the error when one cannot be read.
  std::optional<std::string> load();
  // Thread-safe: re-read the directories at the I/O thread's next tick.
  void reload_soon() { reload_requested_.store(true); }

  bool authorize(std::string_view domain, std::string_view address, std::string_view mechanism,
                 const std::string& public_key) override;
  void handshake_failed(std::size_t socket, handshake_failure what,
                        const std::string& address) override;
  void on_tick(std::chrono::steady_clock::time_point now) override;

  // Thread-safe: every refusal so far, per side.
  refusal_counters counters(peer_kind side) const { return gate_.counters(side); }

 private:
  authorized_keys& list(peer_kind side) {
    return side == peer_kind::worker ? *workers_ : *clients_;
  }
  void reload(bool always);
  void log(const std::string& line) const;

  coordinator_guard_options options_;
  std::shared_ptr<authorized_keys> workers_;
  std::shared_ptr<authorized_keys> clients_;  // workers_ itself when the paths are equal
  curve_gate gate_;
  std::atomic<bool> reload_requested_{false};
  std::chrono::steady_clock::time_point next_scan_{};
};

}  // namespace parallm::nodes
