#pragma once
// `--set KEY=VALUE`: edits of the YAML tree made before validation, so an overridden value is
// checked exactly like one written in the file.

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/diagnostic.hpp"
#include "config/yaml_reader.hpp"

namespace parallm::config {

// Sets root[KEY] (a dotted path; missing maps are created) to VALUE read as YAML. Malformed
// entries are reported with file "--set"; every applied KEY is marked as overridden in reader.
void apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides,
                     yaml_reader& reader, diagnostics& out);

}  // namespace parallm::config
