#pragma once
// The `limits:` map: concurrency, rate limits, timeouts and retries.

#include <string>

#include <yaml-cpp/yaml.h>

#include "config/job.hpp"
#include "config/yaml_reader.hpp"

namespace parallm::config {

limits_spec read_limits(const YAML::Node& node, const std::string& field, yaml_reader& reader);

}  // namespace parallm::config
