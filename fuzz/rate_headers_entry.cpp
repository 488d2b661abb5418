// Response headers as any HTTP upstream (or a man in the middle of plain HTTP) may send them:
// what they say becomes waits and budgets for the run, so whatever they hold must come out
// finite, non-negative and bounded.

#include <cctype>
#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fuzz/fuzz_entries.hpp"
#include "providers/rate_headers.hpp"
#include "providers/retry_after.hpp"

namespace parallm::fuzz {
namespace {

// 2026-01-01T00:00:00Z: a fixed clock, so that a crash found replays the same.
const std::chrono::system_clock::time_point fixed_now{std::chrono::seconds{1767225600}};

void require_wait(const std::optional<std::chrono::milliseconds>& wait) {
  if (!wait) return;
  require(wait->count() >= 0 && *wait <= providers::max_retry_after,
          "a reset is between 0 and max_retry_after");
}

void require_count(const std::optional<double>& count) {
  if (!count) return;
  require(std::isfinite(*count) && *count >= 0, "a limit or remaining is finite and non-negative");
}

}  // namespace

verdict rate_headers(std::string_view data) {
  // "name: value" per line, the name lower-cased as the HTTP engine hands headers over.
  std::vector<std::pair<std::string, std::string>> headers;
  while (!data.empty()) {
    const auto end = data.find('\n');
    const auto line = data.substr(0, end);
    data = end == std::string_view::npos ? std::string_view{} : data.substr(end + 1);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto value = line.substr(colon + 1);
    require_wait(providers::parse_reset_duration(value, fixed_now));
    headers.emplace_back(std::move(name), std::string(value));
  }
  const auto read = providers::read_rate_headers(headers, fixed_now);
  require_count(read.limit_requests);
  require_count(read.remaining_requests);
  require_count(read.limit_tokens);
  require_count(read.remaining_tokens);
  require_wait(read.reset_requests);
  require_wait(read.reset_tokens);
  return read.empty() ? verdict::refused : verdict::accepted;
}

}  // namespace parallm::fuzz
