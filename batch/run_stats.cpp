#include "batch/run_stats.hpp"

#include <algorithm>
#include <cmath>

#include "batch/human_format.hpp"

namespace parallm::batch {
namespace {

constexpr std::size_t bar_width = 20;

double seconds_of(run_stats::clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double per_second(std::uint64_t count, run_stats::clock::duration elapsed) {
  const auto s = seconds_of(elapsed);
  return s > 0 ? static_cast<double>(count) / s : 0.0;
}

std::string percent_text(double fraction) {
  const auto percent = std::to_string(static_cast<int>(std::floor(fraction * 100.0)));
  return std::string(3 - std::min<std::size_t>(3, percent.size()), ' ') + percent + "%";
}

}  // namespace

void run_stats::record(flow::item_status status, std::uint64_t prompt_tokens,
                       std::uint64_t completion_tokens, std::chrono::microseconds latency) {
  switch (status) {
    case flow::item_status::ok:
      ++ok_;
      break;
    case flow::item_status::partial:
      ++partial_;
      break;
    case flow::item_status::failed:
      ++failed_;
      break;
  }
  prompt_tokens_ += prompt_tokens;
  completion_tokens_ += completion_tokens;
  latencies_.record(latency);
}

std::string run_stats::progress_line(std::uint64_t total, clock::duration elapsed) const {
  const auto done = finished() + skipped_;
  const auto rate = per_second(finished(), elapsed);
  std::string line;
  if (total > 0) {
    const auto fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    const auto filled = static_cast<std::size_t>(fraction * bar_width);
    line += '[' + std::string(filled, '#') + std::string(bar_width - filled, '-') + "] ";
    line += percent_text(fraction) + "  " + std::to_string(done) + '/' + std::to_string(total);
  } else {
    line += std::to_string(done);
  }
  line += "  ok " + std::to_string(ok_) + "  partial " + std::to_string(partial_) + "  failed " +
          std::to_string(failed_);
  if (skipped_ > 0) line += "  skipped " + std::to_string(skipped_);
  line += "  | " + format_rate(rate) + " items/s | tokens " +
          compact_count(prompt_tokens_ + completion_tokens_);
  if (total > 0) {
    line += " | ETA ";
    if (done >= total) {
      line += "0s";
    } else if (rate > 0) {
      const auto left = static_cast<double>(total - done) / rate;
      line += format_eta(std::chrono::seconds{static_cast<std::int64_t>(std::ceil(left))});
    } else {
      line += '?';
    }
  }
  return line;
}

std::string run_stats::summary(clock::duration elapsed) const {
  const auto tokens = prompt_tokens_ + completion_tokens_;
  std::string text;
  text += "items:      " + std::to_string(finished()) + " (ok " + std::to_string(ok_) +
          ", partial " + std::to_string(partial_) + ", failed " + std::to_string(failed_) +
          ", skipped " + std::to_string(skipped_) + ")\n";
  if (admitted_ > finished()) {
    text += "unfinished: " + std::to_string(admitted_ - finished()) +
            " admitted items (not written; --resume runs them)\n";
  }
  text += "tokens:     " + compact_count(tokens) + " (prompt " + compact_count(prompt_tokens_) +
          ", completion " + compact_count(completion_tokens_) + ")\n";
  text += "calls:      " + std::to_string(calls_);
  if (attempts_ > calls_) {
    text += " (" + std::to_string(attempts_ - calls_) + " retries, " +
            std::to_string(rate_limited_) + " answered 429)\n";
  } else {
    text += " (no retries)\n";
  }
  text += "wall time:  " +
          format_duration(std::chrono::duration_cast<std::chrono::microseconds>(elapsed)) + '\n';
  text += "throughput: " + format_rate(per_second(finished(), elapsed)) + " items/s, " +
          format_rate(per_second(tokens, elapsed)) + " tokens/s\n";
  text += "latency:    ";
  if (latencies_.count() == 0) {
    text += "-\n";
  } else {
    text += "p50 " + format_duration(latencies_.percentile(0.50)) + ", p95 " +
            format_duration(latencies_.percentile(0.95)) + ", p99 " +
            format_duration(latencies_.percentile(0.99)) + '\n';
  }
  return text;
}

}  // namespace parallm::batch
