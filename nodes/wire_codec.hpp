#pragma once
// Messages to frames and back. Decoding takes bytes straight from the network: it never
// throws and never asserts, and a frame it refuses says why, so the receiver can drop and
// count it (PROTOCOL.md, "Frames that fail").

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "nodes/protocol.hpp"
#include "nodes/wire_messages.hpp"

namespace parallm::nodes {

enum class decode_error {
  too_large,        // the frame, a list, a string, the nesting or the value count is over a limit
  malformed,        // not one complete msgpack value of the shape [version, command, body]
  unknown_version,  // another protocol_version
  unknown_command,
  wrong_shape,  // the body does not hold the command's fields with their types and ranges
};
inline constexpr std::size_t decode_error_count = 5;

std::string_view to_string(decode_error e);

// A decoded message or why there is none.
class decode_result {
 public:
  decode_result(message m) : value_(std::move(m)) {}
  decode_result(decode_error e) : value_(e) {}

  bool has_value() const { return value_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  message& value() { return std::get<message>(value_); }
  const message& value() const { return std::get<message>(value_); }
  decode_error error() const { return std::get<decode_error>(value_); }

 private:
  std::variant<message, decode_error> value_;
};

// One frame. It is the sender's job to keep frames within the receiver's wire_limits (split
// long lists over several frames); encode does not check them.
std::string encode(const message& m);

decode_result decode(std::string_view frame, const wire_limits& limits = {});

}  // namespace parallm::nodes
