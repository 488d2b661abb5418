#include "config/limits_reader.hpp"

#include <cmath>

namespace parallm::config {
namespace {

// Upper bounds keep every value far from overflowing what it is turned into (milliseconds
// in an int64, connections = concurrency x workers in an int, a window of items in memory);
// each is still beyond any real use.
constexpr int max_concurrency = 100000;
constexpr int max_window = 100000000;
constexpr int max_retries = 1000;
constexpr int max_abort_after = 100000000;
constexpr double max_per_minute = 1e12;
constexpr double max_seconds = 7 * 24 * 3600;  // a week
constexpr double max_response_bytes = 1ull << 40;

}  // namespace

limits_spec read_limits(const YAML::Node& node, const std::string& field, yaml_reader& reader) {
  limits_spec limits;
  if (!reader.expect_map(node, field)) return limits;
  reader.check_keys(node, field,
                    {"concurrency", "rpm", "tpm", "timeout_s", "max_retries", "backoff_initial_s",
                     "backoff_max_s", "window", "abort_after_failures", "max_response_bytes"});
  constexpr number_range per_minute{0, false, max_per_minute};
  constexpr number_range seconds{0, true, max_seconds};
  if (const auto v = reader.read_int(node, field, "concurrency", 1, max_concurrency)) {
    limits.concurrency = *v;
  }
  if (const auto v = reader.read_number(node, field, "rpm", per_minute)) limits.rpm = *v;
  if (const auto v = reader.read_number(node, field, "tpm", per_minute)) limits.tpm = *v;
  if (const auto v = reader.read_number(node, field, "timeout_s", seconds)) limits.timeout_s = *v;
  if (const auto v = reader.read_int(node, field, "max_retries", 0, max_retries)) {
    limits.max_retries = *v;
  }
  if (const auto v = reader.read_int(node, field, "window", 0, max_window)) limits.window = *v;
  if (const auto v = reader.read_int(node, field, "abort_after_failures", 0, max_abort_after)) {
    limits.abort_after_failures = *v;
  }
  if (const auto v = reader.read_number(node, field, "max_response_bytes",
                                        {1024, false, max_response_bytes})) {
    if (std::floor(*v) == *v) {
      limits.max_response_bytes = static_cast<std::uint64_t>(*v);
    } else {
      reader.error(join_field(field, "max_response_bytes"),
                   "expected a whole number of bytes, got " + nlohmann::json(*v).dump());
    }
  }
  const auto initial = reader.read_number(node, field, "backoff_initial_s", seconds);
  if (initial) limits.backoff_initial_s = *initial;
  if (const auto v = reader.read_number(node, field, "backoff_max_s", seconds)) {
    if (*v < limits.backoff_initial_s) {
      reader.error(join_field(field, "backoff_max_s"),
                   "expected at least backoff_initial_s (" +
                       nlohmann::json(limits.backoff_initial_s).dump() + "), got " +
                       nlohmann::json(*v).dump());
    } else {
      limits.backoff_max_s = *v;
    }
  }
  if (!child(node, "backoff_max_s") && limits.backoff_max_s < limits.backoff_initial_s) {
    limits.backoff_max_s = limits.backoff_initial_s;
  }
  return limits;
}

}  // namespace parallm::config
