#include "batch/human_format.hpp"

#include <cstdio>

namespace parallm::batch {
namespace {

std::string printf_string(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string minutes_and_more(std::int64_t seconds) {
  char text[64];
  if (seconds < 3600) {
    std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(seconds / 60),
                  static_cast<long long>(seconds % 60));
  } else {
    std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds % 3600 / 60));
  }
  return text;
}

}  // namespace

std::string compact_count(std::uint64_t n) {
  if (n < 1000) return std::to_string(n);
  static constexpr const char* units[] = {"k", "M", "G", "T", "P", "E"};
  auto value = static_cast<double>(n) / 1000.0;
  std::size_t unit = 0;
  // 999950 prints as "1000.0k" with one decimal; move it up a unit instead.
  while (value >= 999.95 && unit + 1 < std::size(units)) {
    value /= 1000.0;
    ++unit;
  }
  return printf_string("%.1f", value) + units[unit];
}

std::string format_duration(std::chrono::microseconds d) {
  const auto us = d.count() < 0 ? 0 : d.count();
  if (us < 10'000) return printf_string("%.1fms", static_cast<double>(us) / 1e3);
  if (us < 1'000'000) return printf_string("%.0fms", static_cast<double>(us) / 1e3);
  if (us < 59'950'000) return printf_string("%.1fs", static_cast<double>(us) / 1e6);
  return minutes_and_more((us + 500'000) / 1'000'000);
}

std::string format_eta(std::chrono::seconds d) {
  const auto s = d.count() < 0 ? 0 : d.count();
  if (s < 60) return std::to_string(s) + "s";
  return minutes_and_more(s);
}

std::string format_rate(double per_second) {
  if (per_second < 0) per_second = 0;
  if (per_second < 99.95) return printf_string("%.1f", per_second);
  if (per_second < 100'000) return printf_string("%.0f", per_second);
  return compact_count(static_cast<std::uint64_t>(per_second + 0.5));
}

std::string hold_note(std::string_view source, std::chrono::system_clock::time_point until) {
  using namespace std::chrono;
  const auto since_midnight = floor<seconds>(until) - floor<days>(until);
  const hh_mm_ss<seconds> time{since_midnight};
  char clock[16];
  std::snprintf(clock, sizeof clock, "%02d:%02d:%02d", static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()));
  std::string note = "held by ";
  note.append(source).append(" until ").append(clock).append(" UTC");
  return note;
}

}  // namespace parallm::batch
