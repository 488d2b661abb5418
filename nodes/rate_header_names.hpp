#pragma once
// The reset headers a providers::rate_headers can name (providers/rate_headers.cpp), numbered
// for the wire: a result carries a small index instead of the header's 25-40 bytes, and the
// receiver gets back a view of a static string, as rate_headers requires.

#include <array>
#include <cstdint>
#include <string_view>

namespace parallm::nodes {

inline constexpr std::array<std::string_view, 2> requests_reset_headers{
    "x-ratelimit-reset-requests", "anthropic-ratelimit-requests-reset"};
inline constexpr std::array<std::string_view, 3> tokens_reset_headers{
    "x-ratelimit-reset-tokens", "anthropic-ratelimit-tokens-reset",
    "anthropic-ratelimit-input-tokens-reset"};

// The name's index; 0, the OpenAI name, for one the table lacks: a wrong name in a message
// costs less than a result dropped.
template <std::size_t N>
constexpr std::uint32_t header_index(const std::array<std::string_view, N>& names,
                                     std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<std::uint32_t>(i);
  }
  return 0;
}

}  // namespace parallm::nodes
