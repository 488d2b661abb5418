#include "config/limits_reader.hpp"

namespace parallm::config {

limits_spec read_limits(const YAML::Node& node, const std::string& field, yaml_reader& reader) {
  limits_spec limits;
  if (!reader.expect_map(node, field)) return limits;
  reader.check_keys(node, field,
                    {"concurrency", "rpm", "tpm", "timeout_s", "max_retries", "backoff_initial_s",
                     "backoff_max_s", "window"});
  constexpr number_range non_negative{0, false, std::nullopt};
  constexpr number_range positive{0, true, std::nullopt};
  if (const auto v = reader.read_int(node, field, "concurrency", 1)) limits.concurrency = *v;
  if (const auto v = reader.read_number(node, field, "rpm", non_negative)) limits.rpm = *v;
  if (const auto v = reader.read_number(node, field, "tpm", non_negative)) limits.tpm = *v;
  if (const auto v = reader.read_number(node, field, "timeout_s", positive)) limits.timeout_s = *v;
  if (const auto v = reader.read_int(node, field, "max_retries", 0)) limits.max_retries = *v;
  if (const auto v = reader.read_int(node, field, "window", 0)) limits.window = *v;
  const auto initial = reader.read_number(node, field, "backoff_initial_s", positive);
  if (initial) limits.backoff_initial_s = *initial;
  if (const auto v = reader.read_number(node, field, "backoff_max_s", positive)) {
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
