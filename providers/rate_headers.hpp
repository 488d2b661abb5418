#pragma once
// What an endpoint says about its own limits: OpenAI-style x-ratelimit-* response headers
// (limit-, remaining- and reset-requests, the same for tokens) or Anthropic's
// anthropic-ratelimit-* ones (requests-, tokens-, input-tokens-limit, -remaining and -reset), so
// that the coordinator can use an endpoint close to its limit before it starts answering 429.
// Both vendors describe a continuously refilling bucket that is full again at the reset.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parallm::providers {

struct rate_headers {
  std::optional<double> limit_requests;  // the bucket's size: the limit per minute
  std::optional<double> remaining_requests;
  std::optional<std::chrono::milliseconds> reset_requests;  // until the bucket is full again
  std::optional<double> limit_tokens;
  std::optional<double> remaining_tokens;
  std::optional<std::chrono::milliseconds> reset_tokens;
  // The headers the resets were read from, to name them when they hold calls back.
  std::string_view reset_requests_header = "x-ratelimit-reset-requests";
  std::string_view reset_tokens_header = "x-ratelimit-reset-tokens";

  bool empty() const {
    return !limit_requests && !remaining_requests && !reset_requests && !limit_tokens &&
           !remaining_tokens && !reset_tokens;
  }
};

// headers: (lower-case name, value) pairs. Unparsable values are left unset. now: the wall-clock
// time of the answer, from which Anthropic's reset timestamps become durations (0 once passed:
// the bucket is full); OpenAI's resets are durations already. Every reset is at most
// max_retry_after (retry_after.hpp): a server cannot hold the run back longer than that.
rate_headers read_rate_headers(const std::vector<std::pair<std::string, std::string>>& headers,
                               std::chrono::system_clock::time_point now);

// A reset duration as OpenAI writes it: "1s", "6m0s", "20ms", "1h2m3.5s", or plain seconds
// ("0.5"). A plain number too large to be a wait is a Unix time, in seconds from 1e9 (2001)
// and in milliseconds from 1e12, and gives the delay from now until then (0 once passed).
// The result is clamped to max_retry_after; nullopt for anything else.
std::optional<std::chrono::milliseconds> parse_reset_duration(
    std::string_view text, std::chrono::system_clock::time_point now);

}  // namespace parallm::providers
