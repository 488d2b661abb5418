#include "actors/coordinator_setup.hpp"

#include <algorithm>
#include <random>

#include <unistd.h>

namespace parallm::actors {
namespace {

std::uint64_t window_for(const config::limits_spec& limits, std::uint64_t slots) {
  if (limits.window > 0) return static_cast<std::uint64_t>(limits.window);
  // Enough admitted items to keep every worker's slots busy while others are reduced,
  // and enough to batch reads; memory stays bounded by this, not by the batch size.
  return std::max<std::uint64_t>(4096, 4 * slots);
}

}  // namespace

std::uint64_t random_u64() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) | device();
}

coordinator_options coordinator_options_for(const config::limits_spec& limits,
                                            std::uint64_t slots) {
  coordinator_options opts;
  opts.window = window_for(limits, slots);
  opts.read_batch = std::min<std::uint64_t>(512, opts.window);
  opts.retry.max_retries = limits.max_retries;
  opts.retry.initial =
      std::chrono::milliseconds(static_cast<std::int64_t>(limits.backoff_initial_s * 1000));
  opts.retry.max =
      std::chrono::milliseconds(static_cast<std::int64_t>(limits.backoff_max_s * 1000));
  opts.seed = static_cast<std::uint64_t>(::getpid());
  // A new epoch per start: no answer meant for an earlier coordinator is taken for this one's.
  opts.epoch = random_u64();
  opts.abort_after_failures = limits.abort_after_failures;
  return opts;
}

}  // namespace parallm::actors
