#include "providers/rate_headers.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "providers/retry_after.hpp"
#include "providers/rfc3339.hpp"

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

// One of Anthropic's buckets, from its anthropic-ratelimit-<kind>-limit, -remaining, -reset.
struct anthropic_bucket {
  std::optional<double> limit;
  std::optional<double> remaining;
  std::optional<std::chrono::milliseconds> reset;

  bool any() const { return limit || remaining || reset; }
};

using std::chrono::milliseconds;

// A wait of ms milliseconds, rounded up, as a bounded duration. The comparison comes before
// the cast, so no value (1e300 included) is ever converted out of range.
milliseconds bounded_wait(double ms) {
  constexpr auto cap = static_cast<double>(max_retry_after.count());
  if (!(ms > 0)) return milliseconds{0};
  if (!(ms < cap)) return max_retry_after;
  return milliseconds{static_cast<std::int64_t>(std::ceil(ms))};
}

// Milliseconds from now until the instant that many ms after the Unix epoch. Flooring now
// rounds the delay up, so that a refill is never read faster than the server's. The delay is
// only as good as the agreement between the two clocks.
milliseconds wait_until_epoch_ms(double epoch_ms, std::chrono::system_clock::time_point now) {
  const auto now_ms = std::chrono::floor<milliseconds>(now).time_since_epoch().count();
  return bounded_wait(epoch_ms - static_cast<double>(now_ms));
}

// Anthropic's reset is the instant the bucket is full again.
std::optional<milliseconds> delay_until(std::string_view text,
                                        std::chrono::system_clock::time_point now) {
  const auto when = parse_rfc3339(trim(text));
  if (!when) return std::nullopt;
  return wait_until_epoch_ms(static_cast<double>(when->time_since_epoch().count()), now);
}

// A plain number this large is not a wait but a Unix time (2001 on, either unit).
constexpr double unix_seconds_from = 1e9;
constexpr double unix_milliseconds_from = 1e12;

// Reads name into bucket when it is one of the bucket's headers, prefix naming the bucket
// ("anthropic-ratelimit-requests-").
void read_anthropic(std::string_view name, std::string_view value, std::string_view prefix,
                    std::chrono::system_clock::time_point now, anthropic_bucket& bucket) {
  if (!name.starts_with(prefix)) return;
  const auto field = name.substr(prefix.size());
  if (field == "limit") {
    bucket.limit = parse_number(value);
  } else if (field == "remaining") {
    bucket.remaining = parse_number(value);
  } else if (field == "reset") {
    bucket.reset = delay_until(value, now);
  }
}

}  // namespace

std::optional<milliseconds> parse_reset_duration(std::string_view text,
                                                 std::chrono::system_clock::time_point now) {
  text = trim(text);
  if (auto plain = parse_number(text)) {
    if (*plain >= unix_milliseconds_from) return wait_until_epoch_ms(*plain, now);
    if (*plain >= unix_seconds_from) return wait_until_epoch_ms(*plain * 1000, now);
    return bounded_wait(*plain * 1000);
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
  return bounded_wait(total_ms);
}

rate_headers read_rate_headers(const std::vector<std::pair<std::string, std::string>>& headers,
                               std::chrono::system_clock::time_point now) {
  rate_headers out;
  anthropic_bucket requests;
  anthropic_bucket tokens;
  anthropic_bucket input_tokens;
  for (const auto& [name, value] : headers) {
    if (name == "x-ratelimit-limit-requests") {
      out.limit_requests = parse_number(value);
    } else if (name == "x-ratelimit-remaining-requests") {
      out.remaining_requests = parse_number(value);
    } else if (name == "x-ratelimit-reset-requests") {
      out.reset_requests = parse_reset_duration(value, now);
    } else if (name == "x-ratelimit-limit-tokens") {
      out.limit_tokens = parse_number(value);
    } else if (name == "x-ratelimit-remaining-tokens") {
      out.remaining_tokens = parse_number(value);
    } else if (name == "x-ratelimit-reset-tokens") {
      out.reset_tokens = parse_reset_duration(value, now);
    } else {
      read_anthropic(name, value, "anthropic-ratelimit-requests-", now, requests);
      read_anthropic(name, value, "anthropic-ratelimit-tokens-", now, tokens);
      read_anthropic(name, value, "anthropic-ratelimit-input-tokens-", now, input_tokens);
    }
  }
  if (requests.any()) {
    out.reset_requests_header = "anthropic-ratelimit-requests-reset";
    out.limit_requests = requests.limit;
    out.remaining_requests = requests.remaining;
    out.reset_requests = requests.reset;
  }
  // Anthropic meters tokens in up to three buckets: tokens-* (input and output together; its
  // documentation calls it the most restrictive token limit in effect), input-tokens-* and
  // output-tokens-*. The limiter charges one estimate of prompt plus completion per call against
  // one token bucket, so the combined bucket, which counts what the limiter charges, wins
  // whenever it is there. Without it the input bucket stands in: charging it the whole estimate
  // overcharges by the completion, which errs toward waiting rather than toward 429s. The output
  // bucket is never used: charged prompts too, it would hold a prompt-heavy job far below its
  // limit; an output-bound job is left to the 429 path. A bucket is taken whole, never mixed
  // with another's values: a limit from one and a remaining from another describe no bucket.
  const auto& token_bucket = tokens.any() ? tokens : input_tokens;
  if (token_bucket.any()) {
    out.reset_tokens_header = tokens.any() ? "anthropic-ratelimit-tokens-reset"
                                           : "anthropic-ratelimit-input-tokens-reset";
    out.limit_tokens = token_bucket.limit;
    out.remaining_tokens = token_bucket.remaining;
    out.reset_tokens = token_bucket.reset;
  }
  return out;
}

}  // namespace parallm::providers
