#pragma once
// A validated job compiled for execution: node indices, dependencies, parsed templates.
// Built once per job and shared read-only by every item run and every worker.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/job.hpp"
#include "flow/call.hpp"
#include "flow/text_template.hpp"

namespace parallm::flow {

// How a node runs: one or more calls (llm), a split, a reducer without a call, or a reducer
// that ends in one call (`reduce: llm`, or `after` with a `prompt`).
enum class node_role { call, split, reduce, reduce_call };

struct compiled_node {
  config::node_spec spec;
  std::vector<node_index> deps;  // nodes that must finish first (after, foreach, split source)
  text_template prompt;          // llm and reduce:llm
  text_template system;
  text_template reduce_template;  // reduce: template
  std::uint32_t provider = 0;     // index into graph::providers()
  bool is_list = false;           // output is a list (samples > 1, foreach, split)
  node_role role = node_role::call;
  std::vector<node_index> after;          // spec.after resolved, in declared order
  std::optional<node_index> foreach;      // the node whose list `foreach` maps over
  std::optional<node_index> split_input;  // split_source when it names a node
  std::vector<node_index> dependents;     // the nodes that have this one in their deps
};

class graph {
 public:
  // The job must have passed validation (config::load_job_file).
  static std::shared_ptr<const graph> compile(const config::job& job);

  const std::vector<compiled_node>& nodes() const { return nodes_; }
  const std::vector<config::provider_spec>& providers() const { return providers_; }
  node_index output() const { return output_; }
  const config::job& job() const { return job_; }
  // Item fields the templates and splits read (not node names), sorted, unique.
  const std::vector<std::string>& input_variables() const { return input_variables_; }
  // The input variables an item's fields lack, in input_variables() order; empty when the
  // item has all it needs. Checked at admission so such an item fails before any call.
  std::vector<std::string_view> missing_inputs(const nlohmann::json& fields) const;

 private:
  config::job job_;
  std::vector<compiled_node> nodes_;
  std::vector<config::provider_spec> providers_;
  std::vector<std::string> input_variables_;
  node_index output_ = 0;
};

}  // namespace parallm::flow
