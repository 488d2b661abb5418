#pragma once
// What an endpoint says about its own limits: OpenAI-style x-ratelimit-* response headers
// (remaining-requests, reset-requests, remaining-tokens, reset-tokens), so that the
// coordinator can use an endpoint close to its limit before it starts answering 429.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parallm::providers {

struct rate_headers {
  std::optional<double> remaining_requests;
  std::optional<std::chrono::milliseconds> reset_requests;
  std::optional<double> remaining_tokens;
  std::optional<std::chrono::milliseconds> reset_tokens;

  bool empty() const {
    return !remaining_requests && !reset_requests && !remaining_tokens && !reset_tokens;
  }
};

// headers: (lower-case name, value) pairs. Unparsable values are left unset.
rate_headers read_rate_headers(const std::vector<std::pair<std::string, std::string>>& headers);

// A reset duration as OpenAI writes it: "1s", "6m0s", "20ms", "1h2m3.5s", or plain seconds
// ("0.5"). nullopt for anything else.
std::optional<std::chrono::milliseconds> parse_reset_duration(std::string_view text);

}  // namespace parallm::providers
