#include "providers/rate_headers.hpp"

#include <charconv>
#include <cmath>

namespace parallm::providers {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A non-negative decimal number taking up the whole of text.
std::optional<double> parse_number(std::string_view text) {
  text = trim(text);
  if (text.empty() || text.front() == '-' || text.front() == '+') return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_reset_duration(std::string_view text) {
  text = trim(text);
  if (auto plain = parse_number(text)) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(*plain * 1000)));
  }
  double total_ms = 0;
  bool any = false;
  while (!text.empty()) {
    std::size_t digits = 0;
    while (digits < text.size() &&
           ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) {
      ++digits;
    }
    const auto number = parse_number(text.substr(0, digits));
    if (!number) return std::nullopt;
    text.remove_prefix(digits);
    double unit_ms = 0;
    if (text.substr(0, 2) == "ms") {
      unit_ms = 1;
      text.remove_prefix(2);
    } else if (!text.empty() && text.front() == 'h') {
      unit_ms = 3'600'000;
      text.remove_prefix(1);
    } else if (!text.empty() && text.front() == 'm') {
      unit_ms = 60'000;
      text.remove_prefix(1);
    } else if (!text.empty() && text.front() == 's') {
      unit_ms = 1000;
      text.remove_prefix(1);
    } else {
      return std::nullopt;
    }
    total_ms += *number * unit_ms;
    any = true;
  }
  if (!any) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(total_ms)));
}

rate_headers read_rate_headers(const std::vector<std::pair<std::string, std::string>>& headers) {
  rate_headers out;
  for (const auto& [name, value] : headers) {
    if (name == "x-ratelimit-limit-requests") {
      out.limit_requests = parse_number(value);
    } else if (name == "x-ratelimit-remaining-requests") {
      out.remaining_requests = parse_number(value);
    } else if (name == "x-ratelimit-reset-requests") {
      out.reset_requests = parse_reset_duration(value);
    } else if (name == "x-ratelimit-limit-tokens") {
      out.limit_tokens = parse_number(value);
    } else if (name == "x-ratelimit-remaining-tokens") {
      out.remaining_tokens = parse_number(value);
    } else if (name == "x-ratelimit-reset-tokens") {
      out.reset_tokens = parse_reset_duration(value);
    }
  }
  return out;
}

}  // namespace parallm::providers
