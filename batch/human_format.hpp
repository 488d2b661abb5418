#pragma once
// Numbers and durations as people read them in a progress line or a summary.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace parallm::batch {

// 532, 53.1k, 1.2M, 3.4G, 5.0T.
std::string compact_count(std::uint64_t n);

// A measured duration: 0.4ms, 812ms, 1.9s, 2m05s, 1h02m.
std::string format_duration(std::chrono::microseconds d);

// A rough estimate in whole seconds: 3s, 2m05s, 1h02m.
std::string format_eta(std::chrono::seconds d);

// Per-second rate: 3.5 below 100, whole numbers above, compact beyond 100000 (152.0k).
std::string format_rate(double per_second);

// A rate limit holding calls back, for the progress line and the log: "held by
// x-ratelimit-reset-requests until 03:12:45 UTC". source names the limit or header.
std::string hold_note(std::string_view source, std::chrono::system_clock::time_point until);

}  // namespace parallm::batch
