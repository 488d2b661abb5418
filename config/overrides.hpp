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
// Setting a provider's kind to another kind drops the fields only other kinds take, with a
// line in notes for the user.
void apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides,
                     yaml_reader& reader, diagnostics& out, std::vector<std::string>& notes);

}  // namespace parallm::config
