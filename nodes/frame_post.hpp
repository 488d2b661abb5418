#pragma once
// How actors hand a frame to their process's I/O thread: gateway::post in a process, a
// recorder in a test. Thread-safe, never blocks.

#include <cstddef>
#include <functional>
#include <string>

namespace parallm::nodes {

using frame_post =
    std::function<void(std::size_t socket, std::string routing_id, std::string frame)>;

// The coordinator's sockets, in the order its gateway is given them.
inline constexpr std::size_t workers_socket = 0;
inline constexpr std::size_t clients_socket = 1;

}  // namespace parallm::nodes
