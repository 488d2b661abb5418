#pragma once
// Where a frame is packed: straight into the std::string that goes to the gateway, so that
// encoding a frame copies its bytes once (msgpack::sbuffer would need a second copy out).

#include <cstddef>
#include <string>

namespace parallm::nodes {

struct frame_buffer {
  std::string bytes;
  // What msgpack::packer calls for every piece it packs.
  void write(const char* data, std::size_t size) { bytes.append(data, size); }
};

}  // namespace parallm::nodes
