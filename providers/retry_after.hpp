#pragma once
// How long the server asked us to wait, read from its `retry-after-ms` and `Retry-After`
// headers. Pure: the current time is passed in, and dates are parsed without the C locale.

#include <chrono>
#include <optional>
#include <string_view>

namespace parallm::providers {

// A server cannot hold a call back for longer than this; larger values are clamped to it.
inline constexpr std::chrono::milliseconds max_retry_after{std::chrono::hours{1}};

// retry_after_ms: a non-negative, possibly fractional number of milliseconds; it wins when
// valid. retry_after: delta-seconds (an integer or a decimal) or an HTTP-date (IMF-fixdate,
// RFC 850 or asctime), giving the delay until that date, 0 when it has passed. Pass an empty
// view for a missing header. Returns nullopt when neither header holds a usable value.
// Fractions round up so that we never come back earlier than asked.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view retry_after, std::string_view retry_after_ms,
    std::chrono::system_clock::time_point now);

}  // namespace parallm::providers
