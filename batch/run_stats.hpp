#pragma once
// The running totals of one batch run, and their two renderings: the live progress line and
// the closing summary. Time is passed in (no clock reads), so tests are deterministic.

#include <chrono>
#include <cstdint>
#include <string>

#include "batch/latency_histogram.hpp"
#include "flow/item_run.hpp"

namespace parallm::batch {

class run_stats {
 public:
  using clock = std::chrono::steady_clock;

  explicit run_stats(clock::time_point start) : start_(start) {}

  // An item entered the run (it will be counted once more by record()).
  void admit() { ++admitted_; }
  // An input item whose id the output already holds (--resume).
  void skip_resumed() { ++skipped_; }
  // An item finished; its prompt and completion tokens over all of its calls.
  void record(flow::item_status status, std::uint64_t prompt_tokens,
              std::uint64_t completion_tokens, std::chrono::microseconds latency);

  // A call finished after that many attempts, that many of them answered 429.
  void record_call(int attempts, int rate_limited) {
    ++calls_;
    attempts_ += static_cast<std::uint64_t>(attempts);
    rate_limited_ += static_cast<std::uint64_t>(rate_limited);
  }

  // Calls counted elsewhere (a coordinator, for a client's batch), added at once.
  void add_calls(std::uint64_t calls, std::uint64_t attempts, std::uint64_t rate_limited) {
    calls_ += calls;
    attempts_ += attempts;
    rate_limited_ += rate_limited;
  }

  clock::duration elapsed(clock::time_point now) const { return now - start_; }

  std::uint64_t admitted() const { return admitted_; }
  std::uint64_t ok() const { return ok_; }
  std::uint64_t partial() const { return partial_; }
  std::uint64_t failed() const { return failed_; }
  std::uint64_t skipped() const { return skipped_; }
  std::uint64_t finished() const { return ok_ + partial_ + failed_; }
  std::uint64_t prompt_tokens() const { return prompt_tokens_; }
  std::uint64_t completion_tokens() const { return completion_tokens_; }
  std::uint64_t calls() const { return calls_; }
  std::uint64_t attempts() const { return attempts_; }
  std::uint64_t rate_limited() const { return rate_limited_; }
  const latency_histogram& latencies() const { return latencies_; }

  // One line for a live bar, no newline. total: the input's item count (skipped ones
  // included), or 0 when unknown, which drops the bar, the percentage and the ETA:
  // "[########------------]  41%  4123/10000  ok 4100  partial 20  failed 3  | 1520 items/s |
  // tokens 53.1k | ETA 3s"
  std::string progress_line(std::uint64_t total, clock::duration elapsed) const;

  // The closing report, several "\n"-terminated lines: items (and the admitted ones left
  // unfinished by a stop), tokens, calls and their retries, wall time, throughput, item
  // latency percentiles.
  std::string summary(clock::duration elapsed) const;

 private:
  clock::time_point start_;
  std::uint64_t admitted_ = 0;
  std::uint64_t ok_ = 0;
  std::uint64_t partial_ = 0;
  std::uint64_t failed_ = 0;
  std::uint64_t skipped_ = 0;
  std::uint64_t prompt_tokens_ = 0;
  std::uint64_t completion_tokens_ = 0;
  std::uint64_t calls_ = 0;
  std::uint64_t attempts_ = 0;
  std::uint64_t rate_limited_ = 0;
  latency_histogram latencies_;
};

}  // namespace parallm::batch
