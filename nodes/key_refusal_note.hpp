#pragma once
// A worker's or client's gateway_guard with CURVE on: libzmq reconnects by itself after the
// coordinator refused our key, so all there is to do is say so, once, naming the key by its
// fingerprint; afterwards the process waits as it does for a coordinator that does not answer.

#include <atomic>
#include <string>

#include "nodes/gateway.hpp"

namespace parallm::nodes {

class key_refusal_note final : public gateway_guard {
 public:
  // log_name prefixes the line ("parallm worker NAME"); public_key is ours (Z85).
  key_refusal_note(std::string log_name, const std::string& public_key);

  // A client socket gets no ZAP requests; refused should one come.
  bool authorize(std::string_view, std::string_view, std::string_view,
                 const std::string&) override {
    return false;
  }
  void handshake_failed(std::size_t socket, handshake_failure what,
                        const std::string& address) override;
  void on_tick(std::chrono::steady_clock::time_point) override {}

  bool refused() const { return said_.load(); }

 private:
  std::string line_;
  std::atomic<bool> said_{false};
};

}  // namespace parallm::nodes
