// The Retry-After and retry-after-ms headers of a 429 or 503: a server's word on how long to
// hold calls back, which must come out bounded whatever it says.

#include <chrono>

#include "fuzz/fuzz_entries.hpp"
#include "providers/retry_after.hpp"
#include "providers/rfc3339.hpp"

namespace parallm::fuzz {

verdict retry_after(std::string_view data) {
  // 2026-01-01T00:00:00Z: a fixed clock, so that a crash found replays the same.
  const std::chrono::system_clock::time_point now{std::chrono::seconds{1767225600}};
  const auto newline = data.find('\n');
  const auto header = data.substr(0, newline);
  const auto header_ms =
      newline == std::string_view::npos ? std::string_view{} : data.substr(newline + 1);
  providers::parse_rfc3339(header);
  const auto alone = providers::parse_retry_after(header, {}, now);
  const auto both = providers::parse_retry_after(header, header_ms, now);
  for (const auto& wait : {alone, both}) {
    if (wait) {
      require(wait->count() >= 0 && *wait <= providers::max_retry_after,
              "a wait is between 0 and max_retry_after");
    }
  }
  require(!alone || both.has_value(), "a valid Retry-After stays valid beside any retry-after-ms");
  return both ? verdict::accepted : verdict::refused;
}

}  // namespace parallm::fuzz
