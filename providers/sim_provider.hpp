#pragma once
// The built-in `sim` provider: answers deterministically from (prompt, seed, sample index)
// with settable latency, failure injection and token accounting. Needs no network or key.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "config/job.hpp"
#include "providers/call_outcome.hpp"

namespace parallm::providers {

struct sim_answer {
  call_outcome outcome;
  std::chrono::microseconds delay{0};  // how long the call "takes"
};

// attempt is 1-based; it takes part in the failure draw so that a retry can succeed.
// max_tokens, when set, truncates the answer to that many words; finish_reason is then
// "length" when it cut the answer, else "stop".
sim_answer sim_call(const config::sim_options& options, std::string_view prompt,
                    std::uint32_t sample, std::uint32_t attempt,
                    std::optional<int> max_tokens = std::nullopt);

}  // namespace parallm::providers
