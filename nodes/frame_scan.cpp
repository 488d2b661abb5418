#include "nodes/frame_scan.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

namespace parallm::nodes {
namespace {

// No body has more fields than this.
constexpr std::uint32_t max_struct_fields = 16;

// Reads msgpack's encoding byte by byte (https://github.com/msgpack/msgpack/blob/master/spec.md)
// without building anything: each value is skipped, each container's declared size and each
// string's length checked against the limits as its header is read, as msgpack's own parser
// would report them to a visitor, only at a fraction of the cost (a frame is scanned before
// every decode, so this runs on every frame a process receives).
class scanner {
 public:
  scanner(std::string_view frame, const wire_limits& limits)
      : data_(reinterpret_cast<const unsigned char*>(frame.data())),
        size_(frame.size()),
        limits_(limits),
        max_array_(max_array_size(limits)) {}

  std::optional<decode_error> run() {
    // Values still to read in each open container, innermost last; the root is one value.
    std::uint64_t pending[max_nesting + 2];
    std::size_t depth = 0;
    pending[0] = 1;
    while (true) {
      while (depth > 0 && pending[depth] == 0) --depth;
      if (depth == 0 && pending[0] == 0) break;
      --pending[depth];
      std::uint64_t opened = 0;
      bool is_container = false;
      if (auto e = value(opened, is_container)) return e;
      if (is_container) {
        if (depth + 1 > max_nesting || opened > max_array_ ||
            (values_ += opened) > limits_.max_values) {
          return decode_error::too_large;
        }
        pending[++depth] = opened;
      }
    }
    if (pos_ != size_) return decode_error::malformed;
    return std::nullopt;
  }

 private:
  // Reads one value's header (and a scalar's or blob's body). A container's element count
  // goes to `opened` (twice the pairs for a map); its elements are the caller's to read.
  std::optional<decode_error> value(std::uint64_t& opened, bool& is_container) {
    if (pos_ >= size_) return decode_error::malformed;
    const unsigned char b = data_[pos_++];
    if (b <= 0x7f || b >= 0xe0) return std::nullopt;  // fixints
    if (b <= 0x8f) return container(2ull * (b & 0x0f), opened, is_container);
    if (b <= 0x9f) return container(b & 0x0f, opened, is_container);
    if (b <= 0xbf) return blob(b & 0x1f, 0);
    std::uint64_t n = 0;
    switch (b) {
      case 0xc0:  // nil
      case 0xc2:  // false
      case 0xc3:  // true
        return std::nullopt;
      case 0xc4:  // bin 8, 16, 32
      case 0xd9:  // str 8, 16, 32
        return sized_blob(1, 0);
      case 0xc5:
      case 0xda:
        return sized_blob(2, 0);
      case 0xc6:
      case 0xdb:
        return sized_blob(4, 0);
      case 0xc7:  // ext 8, 16, 32: a length, a type byte, the data
        return sized_blob(1, 1);
      case 0xc8:
        return sized_blob(2, 1);
      case 0xc9:
        return sized_blob(4, 1);
      case 0xcc:  // uint 8 .. 64, int 8 .. 64, float 32 and 64
      case 0xd0:
        return skip(1);
      case 0xcd:
      case 0xd1:
        return skip(2);
      case 0xca:
      case 0xce:
      case 0xd2:
        return skip(4);
      case 0xcb:
      case 0xcf:
      case 0xd3:
        return skip(8);
      case 0xd4:  // fixext 1 .. 16: a type byte and the data
        return blob(1, 1);
      case 0xd5:
        return blob(2, 1);
      case 0xd6:
        return blob(4, 1);
      case 0xd7:
        return blob(8, 1);
      case 0xd8:
        return blob(16, 1);
      case 0xdc:  // array 16, 32
        if (!number(2, n)) return decode_error::malformed;
        return container(n, opened, is_container);
      case 0xdd:
        if (!number(4, n)) return decode_error::malformed;
        return container(n, opened, is_container);
      case 0xde:  // map 16, 32
        if (!number(2, n)) return decode_error::malformed;
        return container(2 * n, opened, is_container);
      case 0xdf:
        if (!number(4, n)) return decode_error::malformed;
        return container(2 * n, opened, is_container);
      default:  // 0xc1: never used
        return decode_error::malformed;
    }
  }

  static std::optional<decode_error> container(std::uint64_t n, std::uint64_t& opened,
                                               bool& is_container) {
    opened = n;
    is_container = true;
    return std::nullopt;
  }

  // A big-endian length of `bytes` bytes.
  bool number(std::size_t bytes, std::uint64_t& out) {
    if (size_ - pos_ < bytes) return false;
    out = 0;
    for (std::size_t i = 0; i < bytes; ++i) out = (out << 8) | data_[pos_ + i];
    pos_ += bytes;
    return true;
  }

  std::optional<decode_error> sized_blob(std::size_t length_bytes, std::size_t type_bytes) {
    std::uint64_t length = 0;
    if (!number(length_bytes, length)) return decode_error::malformed;
    return blob(length, type_bytes);
  }

  // A blob's bytes must all be there before its size is judged, as msgpack reports a string
  // to its visitor only once it has it whole. An ext's size counts its type byte.
  std::optional<decode_error> blob(std::uint64_t length, std::size_t type_bytes) {
    const auto total = length + type_bytes;
    if (size_ - pos_ < total) return decode_error::malformed;
    pos_ += total;
    if (total > limits_.max_string_bytes) return decode_error::too_large;
    return std::nullopt;
  }

  std::optional<decode_error> skip(std::size_t bytes) {
    if (size_ - pos_ < bytes) return decode_error::malformed;
    pos_ += bytes;
    return std::nullopt;
  }

  const unsigned char* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  const wire_limits& limits_;
  std::uint32_t max_array_;
  std::uint64_t values_ = 1;
};

}  // namespace

std::uint32_t max_array_size(const wire_limits& limits) {
  return std::max(limits.max_items, max_struct_fields);
}

std::optional<decode_error> scan_frame(std::string_view frame, const wire_limits& limits) {
  if (frame.size() > limits.max_frame_bytes) return decode_error::too_large;
  return scanner(frame, limits).run();
}

}  // namespace parallm::nodes
