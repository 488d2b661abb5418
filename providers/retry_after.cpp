#include "providers/retry_after.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace parallm::providers {

namespace {

using std::chrono::milliseconds;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string_view trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// A plain decimal "123" or "1.25" (no sign, no exponent) in units of unit_ms milliseconds,
// rounded up to a whole millisecond and clamped to max_retry_after. unit_ms is 1 or 1000.
std::optional<milliseconds> parse_decimal(std::string_view s, std::int64_t unit_ms) {
  std::size_t i = 0;
  // Saturating well above the cap in either unit keeps the multiplication from overflowing.
  constexpr std::int64_t saturated = std::int64_t{1} << 40;
  std::int64_t whole = 0;
  while (i < s.size() && is_digit(s[i])) {
    whole = std::min(whole * 10 + (s[i] - '0'), saturated);
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::int64_t ms = whole * unit_ms;
  if (i < s.size()) {
    if (s[i] != '.' || i + 1 == s.size()) return std::nullopt;
    ++i;
    std::int64_t fraction = 0;
    bool remainder = false;
    for (std::int64_t scale = unit_ms / 10; i < s.size(); ++i, scale /= 10) {
      if (!is_digit(s[i])) return std::nullopt;
      fraction += (s[i] - '0') * scale;
      if (scale == 0 && s[i] != '0') remainder = true;
    }
    ms += fraction + (remainder ? 1 : 0);
  }
  return std::min(milliseconds{ms}, max_retry_after);
}

// A cursor over an HTTP-date; every reader consumes only on success.
struct date_reader {
  std::string_view rest;

  bool literal(std::string_view text) {
    if (!rest.starts_with(text)) return false;
    rest.remove_prefix(text.size());
    return true;
  }

  std::optional<int> number(std::size_t width) {
    if (rest.size() < width) return std::nullopt;
    int value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      if (!is_digit(rest[i])) return std::nullopt;
      value = value * 10 + (rest[i] - '0');
    }
    rest.remove_prefix(width);
    return value;
  }

  template <std::size_t N>
  std::optional<unsigned> one_of(const std::array<std::string_view, N>& names) {
    for (unsigned i = 0; i < N; ++i) {
      if (literal(names[i])) return i;
    }
    return std::nullopt;
  }

  std::optional<unsigned> month() {
    static constexpr std::array<std::string_view, 12> names{
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto index = one_of(names);
    if (!index) return std::nullopt;
    return *index + 1;
  }

  // "08:49:37", as seconds since midnight; 60 seconds allows for a leap second.
  std::optional<int> time_of_day() {
    const auto h = number(2);
    if (!h || *h > 23 || !literal(":")) return std::nullopt;
    const auto m = number(2);
    if (!m || *m > 59 || !literal(":")) return std::nullopt;
    const auto s = number(2);
    if (!s || *s > 60) return std::nullopt;
    return (*h * 60 + *m) * 60 + *s;
  }
};

constexpr std::array<std::string_view, 7> short_days{"Mon", "Tue", "Wed", "Thu",
                                                     "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> long_days{"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                    "Friday", "Saturday", "Sunday"};

struct date_parts {
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  int seconds = 0;
};

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<date_parts> read_imf_fixdate(date_reader r) {
  if (!r.one_of(short_days) || !r.literal(", ")) return std::nullopt;
  const auto day = r.number(2);
  if (!day || !r.literal(" ")) return std::nullopt;
  const auto month = r.month();
  if (!month || !r.literal(" ")) return std::nullopt;
  const auto year = r.number(4);
  if (!year || !r.literal(" ")) return std::nullopt;
  const auto seconds = r.time_of_day();
  if (!seconds || !r.literal(" GMT") || !r.rest.empty()) return std::nullopt;
  return date_parts{*year, *month, static_cast<unsigned>(*day), *seconds};
}

// "Sunday, 06-Nov-94 08:49:37 GMT"; the century is chosen by the caller.
std::optional<date_parts> read_rfc850(date_reader r) {
  if (!r.one_of(long_days) || !r.literal(", ")) return std::nullopt;
  const auto day = r.number(2);
  if (!day || !r.literal("-")) return std::nullopt;
  const auto month = r.month();
  if (!month || !r.literal("-")) return std::nullopt;
  const auto year = r.number(2);
  if (!year || !r.literal(" ")) return std::nullopt;
  const auto seconds = r.time_of_day();
  if (!seconds || !r.literal(" GMT") || !r.rest.empty()) return std::nullopt;
  return date_parts{*year, *month, static_cast<unsigned>(*day), *seconds};
}

// "Sun Nov  6 08:49:37 1994"
std::optional<date_parts> read_asctime(date_reader r) {
  if (!r.one_of(short_days) || !r.literal(" ")) return std::nullopt;
  const auto month = r.month();
  if (!month || !r.literal(" ")) return std::nullopt;
  r.literal(" ");
  const auto day = r.rest.size() > 1 && is_digit(r.rest[1]) ? r.number(2) : r.number(1);
  if (!day || !r.literal(" ")) return std::nullopt;
  const auto seconds = r.time_of_day();
  if (!seconds || !r.literal(" ")) return std::nullopt;
  const auto year = r.number(4);
  if (!year || !r.rest.empty()) return std::nullopt;
  return date_parts{*year, *month, static_cast<unsigned>(*day), *seconds};
}

// RFC 9110 5.6.7: a two-digit year more than 50 years in the future is in the past century.
int widen_two_digit_year(int two_digits, std::chrono::year current) {
  int year = static_cast<int>(current) / 100 * 100 + two_digits;
  if (year > static_cast<int>(current) + 50) year -= 100;
  return year;
}

std::optional<milliseconds> delay_until_date(std::string_view text,
                                             std::chrono::system_clock::time_point now) {
  using namespace std::chrono;
  const date_reader reader{text};
  // Milliseconds since the epoch cover any four-digit year; system_clock's nanoseconds do not.
  // Flooring now rounds the delay up, as for the decimal forms.
  const auto now_ms = floor<milliseconds>(now);
  auto parts = read_imf_fixdate(reader);
  if (!parts) {
    parts = read_rfc850(reader);
    if (parts) {
      parts->year = widen_two_digit_year(parts->year, year_month_day{floor<days>(now_ms)}.year());
    }
  }
  if (!parts) parts = read_asctime(reader);
  if (!parts) return std::nullopt;
  const year_month_day date{year{parts->year}, month{parts->month}, day{parts->day}};
  if (!date.ok()) return std::nullopt;
  const sys_time<milliseconds> when = sys_days{date} + seconds{parts->seconds};
  return std::clamp(when - now_ms, milliseconds{0}, max_retry_after);
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view retry_after, std::string_view retry_after_ms,
    std::chrono::system_clock::time_point now) {
  if (const auto ms = parse_decimal(trim(retry_after_ms), 1)) return ms;
  const auto text = trim(retry_after);
  if (text.empty()) return std::nullopt;
  if (is_digit(text.front())) return parse_decimal(text, 1000);
  return delay_until_date(text, now);
}

}  // namespace parallm::providers
