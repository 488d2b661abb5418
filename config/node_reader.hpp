#pragma once
// One entry of `nodes:`: its kind follows from its keys (split:, reduce:/after:, else an llm
// call). Only what one node says about itself is checked here; rules that involve other
// nodes are in graph_checks.

#include <string>

#include <yaml-cpp/yaml.h>

#include "config/job.hpp"
#include "config/yaml_reader.hpp"

namespace parallm::config {

// field is "nodes.NAME"; job_provider is what a node's `provider:` overrides.
node_spec read_node(const std::string& name, const YAML::Node& node, const std::string& field,
                    const provider_spec& job_provider, yaml_reader& reader);

}  // namespace parallm::config
