#pragma once
// Small builders for config::job values, so the flow tests read like the job files they mimic.

#include <initializer_list>
#include <string>
#include <utility>

#include "config/job.hpp"

namespace parallm::flow::testing {

inline config::node_spec llm(std::string name, std::string prompt, int samples = 1) {
  config::node_spec node;
  node.name = std::move(name);
  node.kind = config::node_kind::llm;
  node.prompt = std::move(prompt);
  node.samples = samples;
  return node;
}

inline config::node_spec map_over(std::string name, std::string split_node, std::string prompt) {
  auto node = llm(std::move(name), std::move(prompt));
  node.foreach = std::move(split_node);
  return node;
}

inline config::node_spec split(std::string name, std::string source,
                               config::split_by by = config::split_by::paragraph,
                               std::size_t max_chars = 0) {
  config::node_spec node;
  node.name = std::move(name);
  node.kind = config::node_kind::split;
  node.split_source = std::move(source);
  node.by = by;
  node.max_chars = max_chars;
  return node;
}

inline config::node_spec reduce(std::string name, config::reducer_kind kind,
                                std::initializer_list<std::string> after) {
  config::node_spec node;
  node.name = std::move(name);
  node.kind = config::node_kind::reduce;
  node.reduce = kind;
  node.after = after;
  return node;
}

inline config::job make_job(std::initializer_list<config::node_spec> nodes, std::string output) {
  config::job job;
  job.name = "test";
  job.nodes = nodes;
  job.output = std::move(output);
  return job;
}

}  // namespace parallm::flow::testing
