#pragma once
// The wire protocol between coordinator, workers and clients, in one place: its version, its
// commands and the limits a receiver enforces. PROTOCOL.md describes every command's fields
// and who sends what when; wire_messages.hpp holds the bodies, wire_codec.hpp the bytes.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace parallm::nodes {

// Bumped on any change to a body's layout: peers of another version are refused, never guessed.
inline constexpr std::uint32_t protocol_version = 2;

// A frame is the msgpack array [version, command, body]. The values are the indices of the
// bodies in nodes::message (wire_messages.hpp), so a command and its body cannot drift apart.
enum class command : std::uint8_t {
  worker_hello,    // worker -> coordinator: name, host, capacity
  client_hello,    // client -> coordinator: client id, host
  welcome,         // coordinator -> worker or client: epoch, heartbeat and liveness intervals
  heartbeat,       // both ways, on both sockets
  credit,          // worker -> coordinator (tasks), coordinator -> client (items)
  batch_profiles,  // coordinator -> worker: a batch's call profiles, before its first task
  tasks,           // coordinator -> worker
  results,         // worker -> coordinator
  submit,          // client -> coordinator: a job
  items,           // client -> coordinator: input lines, under credit
  item_lines,      // coordinator -> client: finished output lines
  batch_done,      // coordinator -> client
  status_request,  // client -> coordinator
  status_reply,    // coordinator -> client
  refusal,         // either way: a command that was not accepted, and why
};
inline constexpr std::size_t command_count = 15;

std::string_view to_string(command c);

// What a receiver accepts. A frame over any of them is dropped as too_large before its
// contents are allocated.
struct wire_limits {
  std::size_t max_frame_bytes = 16u << 20;
  // Entries of any one list: tasks, results, items, lines, profiles, choices, status rows.
  std::uint32_t max_items = 4096;
  std::uint32_t max_string_bytes = 8u << 20;
  // msgpack values in a frame, all lists together. Decoding holds ~24 bytes per value, so this
  // bounds a hostile frame's memory, which would otherwise be ~24x its size.
  std::size_t max_values = 1u << 20;
};

// How deeply arrays nest in any valid frame (frame > body > profiles > profile > endpoint >
// sim > choices); anything deeper is not a frame of this protocol.
inline constexpr std::uint32_t max_nesting = 7;

}  // namespace parallm::nodes
