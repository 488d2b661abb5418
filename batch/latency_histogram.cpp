#include "batch/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace parallm::batch {

std::size_t latency_histogram::bucket_of(std::uint64_t value) {
  if (value < sub_count) return static_cast<std::size_t>(value);
  // shift brings value into [sub_count, 2 * sub_count): its top sub_bits + 1 bits.
  const auto shift = static_cast<unsigned>(std::bit_width(value)) - sub_bits - 1;
  return static_cast<std::size_t>(sub_count * (shift + 1) + ((value >> shift) - sub_count));
}

std::uint64_t latency_histogram::middle_of(std::size_t bucket) {
  if (bucket < sub_count) return bucket;
  const auto shift = static_cast<unsigned>(bucket / sub_count) - 1;
  const auto low = (sub_count + bucket % sub_count) << shift;
  return low + ((std::uint64_t{1} << shift) >> 1);
}

void latency_histogram::record(std::chrono::microseconds latency) {
  const auto value = static_cast<std::uint64_t>(std::max<std::int64_t>(latency.count(), 0));
  ++buckets_[bucket_of(value)];
  min_ = count_ == 0 ? value : std::min(min_, value);
  max_ = std::max(max_, value);
  ++count_;
}

std::chrono::microseconds latency_histogram::percentile(double q) const {
  if (count_ == 0) return std::chrono::microseconds{0};
  const auto rank = std::clamp<std::uint64_t>(
      static_cast<std::uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * count_)), 1, count_);
  // The extremes are known exactly; no need to round them to a bucket.
  if (rank == 1) return std::chrono::microseconds{static_cast<std::int64_t>(min_)};
  if (rank == count_) return std::chrono::microseconds{static_cast<std::int64_t>(max_)};
  std::uint64_t seen = 0;
  for (std::size_t bucket = 0; bucket < bucket_count; ++bucket) {
    seen += buckets_[bucket];
    if (seen >= rank) {
      const auto value = std::clamp(middle_of(bucket), min_, max_);
      return std::chrono::microseconds{static_cast<std::int64_t>(value)};
    }
  }
  return std::chrono::microseconds{static_cast<std::int64_t>(max_)};
}

}  // namespace parallm::batch
