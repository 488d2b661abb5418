#include "flow/graph.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace parallm::flow {
namespace {

using name_index = std::unordered_map<std::string_view, node_index>;

std::optional<node_index> find_node(const name_index& names, std::string_view name) {
  if (name.empty()) return std::nullopt;
  const auto it = names.find(name);
  if (it == names.end()) return std::nullopt;
  return it->second;
}

node_role role_of(const config::node_spec& spec) {
  switch (spec.kind) {
    case config::node_kind::split:
      return node_role::split;
    case config::node_kind::reduce:
      return spec.reduce == config::reducer_kind::llm ? node_role::reduce_call : node_role::reduce;
    case config::node_kind::llm:
      break;
  }
  return !spec.after.empty() && spec.foreach.empty() ? node_role::reduce_call : node_role::call;
}

void add_dep(compiled_node& node, node_index dep) {
  if (std::find(node.deps.begin(), node.deps.end(), dep) == node.deps.end()) {
    node.deps.push_back(dep);
  }
}

std::string_view first_segment(std::string_view name) {
  return name.substr(0, name.find('.'));
}

void add_inputs(const text_template& text, const name_index& names,
                std::vector<std::string>& inputs) {
  for (const auto& variable : text.variables()) {
    const auto head = first_segment(variable);
    if (head == "item" || head == "item_index" || names.contains(head)) continue;
    inputs.emplace_back(head);
  }
}

}  // namespace

std::shared_ptr<const graph> graph::compile(const config::job& job) {
  auto g = std::make_shared<graph>();
  g->job_ = job;
  g->providers_.push_back(job.provider);

  name_index names;
  for (std::size_t i = 0; i < job.nodes.size(); ++i) {
    names.emplace(job.nodes[i].name, static_cast<node_index>(i));
  }
  if (const auto output = find_node(names, job.output)) g->output_ = *output;

  g->nodes_.reserve(job.nodes.size());
  for (const auto& spec : job.nodes) {
    compiled_node node;
    node.spec = spec;
    node.role = role_of(spec);
    for (const auto& name : spec.after) {
      if (const auto dep = find_node(names, name)) {
        node.after.push_back(*dep);
        add_dep(node, *dep);
      }
    }
    node.foreach = find_node(names, spec.foreach);
    if (node.foreach) add_dep(node, *node.foreach);
    if (node.role == node_role::split) {
      node.split_input = find_node(names, spec.split_source);
      if (node.split_input) {
        add_dep(node, *node.split_input);
      } else {
        g->input_variables_.emplace_back(first_segment(spec.split_source));
      }
    }
    if (node.role == node_role::call || node.role == node_role::reduce_call) {
      node.prompt = text_template::parse(spec.prompt);
      node.system = text_template::parse(spec.system);
    }
    if (node.role == node_role::reduce && spec.reduce == config::reducer_kind::template_text) {
      node.reduce_template = text_template::parse(spec.template_text);
    }
    add_inputs(node.prompt, names, g->input_variables_);
    add_inputs(node.system, names, g->input_variables_);
    add_inputs(node.reduce_template, names, g->input_variables_);
    if (spec.provider) {
      node.provider = static_cast<std::uint32_t>(g->providers_.size());
      g->providers_.push_back(*spec.provider);
    }
    node.is_list = spec.samples > 1 || node.foreach.has_value() || node.role == node_role::split;
    g->nodes_.push_back(std::move(node));
  }

  for (std::size_t i = 0; i < g->nodes_.size(); ++i) {
    for (const auto dep : g->nodes_[i].deps) {
      g->nodes_[dep].dependents.push_back(static_cast<node_index>(i));
    }
  }

  auto& inputs = g->input_variables_;
  std::sort(inputs.begin(), inputs.end());
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());
  return g;
}

std::vector<std::string_view> graph::missing_inputs(const nlohmann::json& fields) const {
  std::vector<std::string_view> missing;
  for (const auto& name : input_variables_) {
    if (!fields.is_object() || !fields.contains(name)) missing.push_back(name);
  }
  return missing;
}

}  // namespace parallm::flow
