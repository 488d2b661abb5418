#pragma once
// Cutting a long list of tasks, results, input lines or output lines into frames a receiver
// accepts (PROTOCOL.md, "Limits"): encode does not check wire_limits, so a sender splits
// first. Each entry's size is estimated from above from its strings and a fixed overhead
// worked out from its field layout, so no frame is ever encoded twice to see if it fits.
//
// An entry that cannot travel in any frame (bigger than a frame, a string or a list of its
// own over the receiver's limits) is handed back to the caller, who fails it: dropping it
// silently would leave a task or an item waiting forever.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nodes/protocol.hpp"
#include "nodes/wire_messages.hpp"

namespace parallm::nodes {

// An upper bound on what one entry adds to a frame.
struct entry_cost {
  std::size_t bytes = 0;   // encoded bytes
  std::size_t values = 0;  // msgpack values, as wire_limits::max_values counts them
  bool fits = true;        // false: a string or list of its own is over the receiver's limits
};

// What the entries of one frame may use together.
struct frame_budget {
  std::uint32_t max_items = 0;
  std::size_t max_bytes = 0;
  std::size_t max_values = 0;
};

// The receiver's limits less room for the frame's header and its fields other than the list
// ([version, command, [batch, list, end_of_input, skipped]] is at most 36 bytes, 8 values).
inline constexpr std::size_t frame_headroom_bytes = 64;
inline constexpr std::size_t frame_headroom_values = 16;
frame_budget budget_for(const wire_limits& limits);

entry_cost cost_of(const wire_task& t, const wire_limits& limits);
entry_cost cost_of(const wire_result& r, const wire_limits& limits);
entry_cost cost_of(const input_line& l, const wire_limits& limits);
entry_cost cost_of(const item_line& l, const wire_limits& limits);

// Indices into the list: chunks in order, each within the budget and never empty, and the
// entries that fit no frame. Every index is in exactly one of them, in ascending order.
struct split_plan {
  std::vector<std::vector<std::size_t>> chunks;
  std::vector<std::size_t> oversized;
  std::vector<std::size_t> chunk_bytes;  // each chunk's encoded bytes at most, by entry_cost
};

split_plan plan_split(std::size_t count, const std::function<entry_cost(std::size_t)>& cost,
                      const frame_budget& budget);

template <class Entry, class Cost>
split_plan plan_split(const std::vector<Entry>& entries, Cost cost, const frame_budget& budget) {
  return plan_split(
      entries.size(), [&](std::size_t i) { return cost(entries[i]); }, budget);
}

// A frame's list cut into frames within the limits, and the entries left out, moved out of
// the frame that was split.
template <class Frame, class Entry>
struct split_frames {
  std::vector<Frame> frames;
  std::vector<Entry> oversized;
  std::vector<std::size_t> frame_bytes;  // each frame's list's encoded bytes at most
};

// An empty list gives no frames. For items, `skipped` goes on the first frame and
// `end_of_input` on the last only, so the coordinator never sees the end before every item;
// an item_frame always gives at least one frame, since its end or skip count is news alone.
split_frames<task_frame, wire_task> split(task_frame f, const wire_limits& limits = {});
split_frames<result_frame, wire_result> split(result_frame f, const wire_limits& limits = {});
split_frames<item_frame, input_line> split(item_frame f, const wire_limits& limits = {});
split_frames<line_frame, item_line> split(line_frame f, const wire_limits& limits = {});

// The same, encoded: each string is one frame, in order.
template <class Entry>
struct encoded_split {
  std::vector<std::string> frames;
  std::vector<Entry> oversized;
};

encoded_split<wire_task> encode_split(task_frame f, const wire_limits& limits = {});
encoded_split<wire_result> encode_split(result_frame f, const wire_limits& limits = {});
encoded_split<input_line> encode_split(item_frame f, const wire_limits& limits = {});
encoded_split<item_line> encode_split(line_frame f, const wire_limits& limits = {});

}  // namespace parallm::nodes
