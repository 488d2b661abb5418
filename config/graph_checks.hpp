#pragma once
// Rules between nodes: references name existing nodes, the graph has no cycle, templates use
// only what their node can see, quorum and min_success fit the branches, output is a node.

#include "config/job.hpp"
#include "config/yaml_reader.hpp"

namespace parallm::config {

void check_graph(const job& job, yaml_reader& reader);

}  // namespace parallm::config
