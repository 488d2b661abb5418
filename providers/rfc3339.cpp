#include "providers/rfc3339.hpp"

#include <cstddef>

namespace parallm::providers {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

struct reader {
  std::string_view rest;

  // Exactly n digits.
  std::optional<unsigned> digits(std::size_t n) {
    if (rest.size() < n) return std::nullopt;
    unsigned value = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!is_digit(rest[i])) return std::nullopt;
      value = value * 10 + static_cast<unsigned>(rest[i] - '0');
    }
    rest.remove_prefix(n);
    return value;
  }

  bool one_of(std::string_view chars) {
    if (rest.empty() || chars.find(rest.front()) == std::string_view::npos) return false;
    rest.remove_prefix(1);
    return true;
  }

  // One or more digits after the decimal point, as milliseconds rounded up.
  std::optional<std::chrono::milliseconds> fraction() {
    std::size_t n = 0;
    unsigned ms = 0;
    bool finer = false;
    for (; n < rest.size() && is_digit(rest[n]); ++n) {
      if (n < 3) {
        ms = ms * 10 + static_cast<unsigned>(rest[n] - '0');
      } else if (rest[n] != '0') {
        finer = true;
      }
    }
    if (n == 0) return std::nullopt;
    for (std::size_t place = n; place < 3; ++place) ms *= 10;
    rest.remove_prefix(n);
    return std::chrono::milliseconds{ms + (finer ? 1 : 0)};
  }

  // hh:mm after the sign.
  std::optional<std::chrono::minutes> offset() {
    const auto hh = digits(2);
    if (!hh || *hh > 23 || !one_of(":")) return std::nullopt;
    const auto mm = digits(2);
    if (!mm || *mm > 59) return std::nullopt;
    return std::chrono::hours{*hh} + std::chrono::minutes{*mm};
  }
};

}  // namespace

std::optional<std::chrono::sys_time<std::chrono::milliseconds>> parse_rfc3339(
    std::string_view text) {
  using namespace std::chrono;
  reader r{text};
  const auto y = r.digits(4);
  if (!y || !r.one_of("-")) return std::nullopt;
  const auto mo = r.digits(2);
  if (!mo || !r.one_of("-")) return std::nullopt;
  const auto d = r.digits(2);
  if (!d || !r.one_of("Tt ")) return std::nullopt;
  const auto h = r.digits(2);
  if (!h || *h > 23 || !r.one_of(":")) return std::nullopt;
  const auto mi = r.digits(2);
  if (!mi || *mi > 59 || !r.one_of(":")) return std::nullopt;
  const auto s = r.digits(2);
  if (!s || *s > 60) return std::nullopt;
  milliseconds fraction{0};
  if (r.one_of(".")) {
    const auto read = r.fraction();
    if (!read) return std::nullopt;
    fraction = *read;
  }
  // Local time is UTC plus the offset; "-00:00" says UTC with the local offset unknown.
  minutes offset{0};
  if (!r.one_of("Zz")) {
    const bool east = r.one_of("+");
    if (!east && !r.one_of("-")) return std::nullopt;
    const auto read = r.offset();
    if (!read) return std::nullopt;
    offset = east ? *read : -*read;
  }
  if (!r.rest.empty()) return std::nullopt;
  const year_month_day date{year{static_cast<int>(*y)}, month{*mo}, day{*d}};
  if (!date.ok()) return std::nullopt;
  return sys_days{date} + hours{*h} + minutes{*mi} + seconds{*s} + fraction - offset;
}

}  // namespace parallm::providers
