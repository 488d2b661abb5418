#pragma once
// What the CURVE gateway suites share: a bounded wait, a socket spec with CURVE settings, and
// a handler that records the frames a gateway received.

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "nodes/gateway.hpp"

namespace parallm::nodes::test {

// Polls `condition` for up to `patience` (generous: a loaded 2-core machine), running
// `meanwhile` between polls.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds patience = std::chrono::seconds(20),
                       const std::function<void()>& meanwhile = {}) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    if (meanwhile) meanwhile();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

inline socket_spec spec(socket_spec::role kind, std::string endpoint, curve_settings curve) {
  socket_spec s;
  s.kind = kind;
  s.endpoint = std::move(endpoint);
  s.curve = std::move(curve);
  return s;
}

class recorder final : public gateway_handler {
 public:
  void on_frame(gateway_io&, std::size_t, const std::string&, std::string_view frame,
                std::size_t) override {
    std::lock_guard lock(mutex_);
    frames_.emplace_back(frame);
  }
  void on_tick(gateway_io&, std::chrono::steady_clock::time_point) override {}
  std::vector<std::string> frames() {
    std::lock_guard lock(mutex_);
    return frames_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> frames_;
};

}  // namespace parallm::nodes::test
