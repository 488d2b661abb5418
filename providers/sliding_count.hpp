#pragma once
// How many events happened during the last second, counted in ten 100 ms slots: a fixed array,
// so counting on the hot path neither allocates nor walks a list.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>

namespace parallm::providers {

class sliding_count {
 public:
  using clock = std::chrono::steady_clock;

  void add(clock::time_point now) {
    // A clock reading older than the newest slot counts in the newest slot.
    const std::int64_t slot = std::max(slot_of(now), head_);
    if (slot != head_) advance(slot);
    ++counts_[index(slot)];
  }

  double per_second(clock::time_point now) const {
    const std::int64_t oldest = slot_of(now) - slots + 1;
    std::uint64_t total = 0;
    for (std::int64_t s = head_; s > head_ - slots && s >= oldest; --s) total += counts_[index(s)];
    return static_cast<double>(total);
  }

 private:
  static constexpr std::int64_t slots = 10;
  static constexpr clock::duration width = std::chrono::milliseconds{100};

  static std::int64_t slot_of(clock::time_point t) { return t.time_since_epoch() / width; }
  static std::size_t index(std::int64_t slot) {
    return static_cast<std::size_t>(((slot % slots) + slots) % slots);
  }

  void advance(std::int64_t slot) {
    for (std::int64_t s = head_ + 1; s <= slot && s <= head_ + slots; ++s) counts_[index(s)] = 0;
    head_ = slot;
  }

  std::array<std::uint32_t, slots> counts_{};
  std::int64_t head_ = 0;
};

}  // namespace parallm::providers
