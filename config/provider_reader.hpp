#pragma once
// The `provider:` map, at job level and as a per-node override.

#include <optional>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "config/job.hpp"
#include "config/yaml_reader.hpp"

namespace parallm::config {

// Defaults of a kind: endpoint, key variable and API version for the hosted kinds.
provider_spec default_provider(provider_kind kind);

std::optional<provider_kind> parse_provider_kind(const std::string& text);
const char* provider_kind_name(provider_kind kind);

// True for a key some other kind of provider takes but kind does not (sim's latency_ms for
// openai, base_url for sim): what a change of kind leaves behind.
bool belongs_to_other_kind(std::string_view key, provider_kind kind);

// Reads the provider map at field over base. A map that names a kind other than base's starts
// from that kind's defaults instead, and must then give everything the kind requires.
provider_spec read_provider(const YAML::Node& node, const std::string& field,
                            const provider_spec& base, yaml_reader& reader);

}  // namespace parallm::config
