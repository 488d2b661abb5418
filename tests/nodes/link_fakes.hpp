#pragma once
// A gateway_io that records what a link sends, for the links' tests.

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

}  // namespace parallm::test
