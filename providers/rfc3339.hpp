#pragma once
// RFC 3339 timestamps, as Anthropic writes the time its rate limits are full again:
// "2024-01-01T00:00:30Z", "2024-01-01T00:00:30.25Z", "2024-01-01T02:00:30+02:00".

#include <chrono>
#include <optional>
#include <string_view>

namespace parallm::providers {

// The instant text names (RFC 3339 section 5.6 date-time: 'T', 't' or a space between date and
// time, 'Z', 'z' or a +hh:mm / -hh:mm offset), or nullopt when text is anything else, including
// an impossible date such as February 30. Fractions finer than a millisecond round up, so that
// a reset is never read earlier than written. A leap second (:60) is the second after :59.
std::optional<std::chrono::sys_time<std::chrono::milliseconds>> parse_rfc3339(
    std::string_view text);

}  // namespace parallm::providers
