#pragma once
// The `provider:` map, at job level and as a per-node override.

#include <string>

#include <yaml-cpp/yaml.h>

#include "config/job.hpp"
#include "config/yaml_reader.hpp"

namespace parallm::config {

// Defaults of a kind: endpoint, key variable and API version for the hosted kinds.
provider_spec default_provider(provider_kind kind);

// Reads the provider map at field over base. A map that names a kind other than base's starts
// from that kind's defaults instead, and must then give everything the kind requires.
provider_spec read_provider(const YAML::Node& node, const std::string& field,
                            const provider_spec& base, yaml_reader& reader);

}  // namespace parallm::config
