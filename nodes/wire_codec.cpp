#include "nodes/wire_codec.hpp"

#include <array>
#include <cstdint>
#include <limits>
#include <new>
#include <stdexcept>

#include <msgpack.hpp>

#include "nodes/body_reader.hpp"
#include "nodes/body_writer.hpp"
#include "nodes/frame_scan.hpp"

namespace parallm::nodes {
namespace {

// [version, command, body]'s own bytes: the array header and two small numbers.
constexpr std::size_t frame_head_bytes = 1 + 2 * 5;

// Strings and binaries stay in the frame's bytes instead of being copied into the unpacked
// tree: the tree lives only while read_frame copies what it keeps out of it.
bool refer_to_frame(msgpack::type::object_type, std::size_t, void*) {
  return true;
}

msgpack::unpack_limit unpack_limits(const wire_limits& limits) {
  const auto array = max_array_size(limits);
  const auto blob = limits.max_string_bytes;
  return msgpack::unpack_limit(array, array, blob, blob, blob, max_nesting + 1);
}

// The root of a frame that scanned clean: [version, command, body].
decode_result read_frame(const msgpack::object& root) {
  namespace type = msgpack::type;
  if (root.type != type::ARRAY || root.via.array.size == 0) return decode_error::malformed;
  const msgpack::object* field = root.via.array.ptr;
  if (field[0].type != type::POSITIVE_INTEGER) return decode_error::malformed;
  if (field[0].via.u64 != protocol_version) return decode_error::unknown_version;
  if (root.via.array.size != 3 || field[1].type != type::POSITIVE_INTEGER) {
    return decode_error::malformed;
  }
  if (field[1].via.u64 >= command_count) return decode_error::unknown_command;
  message m;
  if (!read_body(field[2], static_cast<command>(field[1].via.u64), m)) {
    return decode_error::wrong_shape;
  }
  return m;
}

}  // namespace

std::string_view to_string(decode_error e) {
  static constexpr std::array<std::string_view, decode_error_count> names{
      "too_large", "malformed", "unknown_version", "unknown_command", "wrong_shape"};
  const auto i = static_cast<std::size_t>(e);
  return i < names.size() ? names[i] : "unknown";
}

std::string encode(const message& m, std::size_t size_hint) {
  frame_buffer buffer;
  buffer.bytes.reserve(size_hint + frame_head_bytes);
  msgpack::packer<frame_buffer> pk(buffer);
  pk.pack_array(3);
  pk.pack_uint32(protocol_version);
  pk.pack_uint32(static_cast<std::uint32_t>(command_of(m)));
  write_body(pk, m);
  return std::move(buffer.bytes);
}

decode_result decode(std::string_view frame, const wire_limits& limits) {
  if (auto refused = scan_frame(frame, limits)) return *refused;
  try {
    std::size_t offset = 0;
    const auto handle = msgpack::unpack(frame.data(), frame.size(), offset, refer_to_frame, nullptr,
                                        unpack_limits(limits));
    return read_frame(handle.get());
  } catch (const msgpack::size_overflow&) {
    return decode_error::too_large;
  } catch (const msgpack::unpack_error&) {
    return decode_error::malformed;
  } catch (const msgpack::type_error&) {
    return decode_error::wrong_shape;
  } catch (const std::bad_alloc&) {
    return decode_error::too_large;
  } catch (const std::length_error&) {
    return decode_error::too_large;
  } catch (const std::exception&) {
    return decode_error::malformed;
  }
}

}  // namespace parallm::nodes
