// Frames as they come off a socket: the coordinator decodes what workers and clients send, a
// worker and a client what the coordinator sends, all through nodes::decode, so every command
// of either direction is fed to the one decoder. What decodes goes on the way the receiver
// takes it: through wire_convert into the actors' structs.

#include <string>
#include <variant>

#include "actors/messages.hpp"
#include "fuzz/fuzz_entries.hpp"
#include "nodes/wire_codec.hpp"
#include "nodes/wire_convert.hpp"

namespace parallm::fuzz {
namespace {

// Small enough that the fuzzer's short inputs reach every "too large" branch.
constexpr nodes::wire_limits tight_limits{
    .max_frame_bytes = 512, .max_items = 3, .max_string_bytes = 16, .max_values = 64};

// A decoded message is one the receiver accepted: encoding it again must give a frame that
// decodes, and encoding that one must give the same bytes (msgpack's shortest forms).
void require_round_trip(const nodes::message& m) {
  const std::string once = nodes::encode(m);
  const auto again = nodes::decode(once);
  require(again.has_value(), "a decoded message re-encodes to a frame that decodes");
  require(nodes::encode(again.value()) == once, "re-encoding a decoded message is stable");
}

// Converted as the worker (profiles, tasks) and the coordinator (results) do, then back to
// the wire as the other side sends them.
void convert(nodes::message& m) {
  if (auto* profiles = std::get_if<nodes::batch_profiles>(&m)) {
    auto converted = nodes::from_wire(*profiles);
    require(nodes::decode(nodes::encode(nodes::to_wire(converted))).has_value(),
            "converted profiles go back on the wire");
  } else if (auto* tasks = std::get_if<nodes::task_frame>(&m)) {
    // The worker holds the profiles of one batch: the fuzzer finds batch 1 by comparison.
    const nodes::profile_counts held{{1, 3}};
    auto converted = nodes::from_wire(*tasks, held);
    if (converted) {
      require(
          nodes::decode(nodes::encode(nodes::to_wire(std::move(converted.value())))).has_value(),
          "converted tasks go back on the wire");
    }
  } else if (auto* results = std::get_if<nodes::result_frame>(&m)) {
    auto converted = nodes::from_wire(*results);
    if (converted) {
      require(
          nodes::decode(nodes::encode(nodes::to_wire(std::move(converted.value())))).has_value(),
          "converted results go back on the wire");
    }
  }
}

}  // namespace

verdict wire_decode(std::string_view data) {
  // Whatever the tight limits accept, the default ones accept too.
  const auto tight = nodes::decode(data, tight_limits);
  auto decoded = nodes::decode(data);
  require(!tight.has_value() || decoded.has_value(), "the default limits take what tight ones do");
  if (!decoded) return verdict::refused;
  require_round_trip(decoded.value());
  convert(decoded.value());
  return verdict::accepted;
}

}  // namespace parallm::fuzz
