#include "nodes/announced_limits.hpp"

#include <algorithm>

namespace parallm::nodes {

wire_limits sane_announced(const wire_limits& announced) {
  constexpr wire_limits most{};
  constexpr auto least = least_announced_limits;
  return {
      .max_frame_bytes =
          std::clamp(announced.max_frame_bytes, least.max_frame_bytes, most.max_frame_bytes),
      .max_items = std::clamp(announced.max_items, least.max_items, most.max_items),
      .max_string_bytes =
          std::clamp(announced.max_string_bytes, least.max_string_bytes, most.max_string_bytes),
      .max_values = std::clamp(announced.max_values, least.max_values, most.max_values),
  };
}

void announced_limits::set(const wire_limits& limits) {
  frame_bytes_.store(limits.max_frame_bytes, std::memory_order_relaxed);
  items_.store(limits.max_items, std::memory_order_relaxed);
  string_bytes_.store(limits.max_string_bytes, std::memory_order_relaxed);
  values_.store(limits.max_values, std::memory_order_relaxed);
}

wire_limits announced_limits::get() const {
  return {.max_frame_bytes = frame_bytes_.load(std::memory_order_relaxed),
          .max_items = items_.load(std::memory_order_relaxed),
          .max_string_bytes = string_bytes_.load(std::memory_order_relaxed),
          .max_values = values_.load(std::memory_order_relaxed)};
}

}  // namespace parallm::nodes
