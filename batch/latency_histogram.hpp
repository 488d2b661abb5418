#pragma once
// Item latencies in constant memory, with percentiles within ~2%: log-spaced buckets in the
// manner of HdrHistogram (each power of two split into 32 linear sub-buckets).

#include <array>
#include <chrono>
#include <cstdint>

namespace parallm::batch {

class latency_histogram {
 public:
  void record(std::chrono::microseconds latency);

  std::uint64_t count() const { return count_; }
  // The latency below which a fraction q (0..1) of the samples lie; 0 when there are none.
  // Within half a bucket (1/64 of the value) of the exact order statistic.
  std::chrono::microseconds percentile(double q) const;

 private:
  static constexpr unsigned sub_bits = 5;
  static constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;
  // Values below sub_count get one bucket each; every later power of two gets sub_count.
  static constexpr std::size_t bucket_count = sub_count * (64 - sub_bits + 1);

  static std::size_t bucket_of(std::uint64_t value);
  static std::uint64_t middle_of(std::size_t bucket);

  std::array<std::uint64_t, bucket_count> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace parallm::batch
