#pragma once
// A gateway_io that records what a link sends, and a driver for DEALER-side links, for the
// links' tests.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "nodes/gateway.hpp"
#include "nodes/wire_codec.hpp"

namespace parallm::test {

struct sent_frame {
  std::size_t socket = 0;
  std::string routing_id;
  nodes::message message;
};

class recording_io final : public nodes::gateway_io {
 public:
  bool send(std::size_t socket, const std::string& routing_id, std::string frame) override {
    auto decoded = nodes::decode(frame);
    if (decoded) sent.push_back({socket, routing_id, std::move(decoded.value())});
    return true;
  }
  // How many frames of command c went out, and clears nothing.
  std::size_t count(nodes::command c) const {
    std::size_t n = 0;
    for (const auto& f : sent) n += nodes::command_of(f.message) == c ? 1 : 0;
    return n;
  }
  std::vector<sent_frame> sent;
};

// What the gateway does to a DEALER-side link (dealer_link, worker_link), with the time the test
// moves on: a fixture derives from it and has members `io` and `link`.
template <typename Fixture>
struct drives_a_dealer {
  std::chrono::steady_clock::time_point now =
      std::chrono::steady_clock::time_point{} + std::chrono::hours(1);

  void tick(std::chrono::steady_clock::duration later = {}) {
    now += later;
    self().link.on_tick(self().io, now);
  }
  void receive(const nodes::message& m) { receive_bytes(nodes::encode(m)); }
  void receive_bytes(const std::string& bytes, std::size_t parts = 1) {
    self().link.on_frame(self().io, 0, {}, bytes, parts);
    // The gateway ticks after every batch of frames.
    self().link.on_tick(self().io, now);
  }
  // Welcomed by the coordinator of `epoch`, heartbeat 500 ms, liveness 1500 ms.
  void join(std::uint64_t epoch = 7) {
    tick();
    receive(nodes::welcome{epoch, 500, 1500, {}});
  }

 private:
  Fixture& self() { return static_cast<Fixture&>(*this); }
};

}  // namespace parallm::test
