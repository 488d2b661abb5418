// The reduce nodes of an item run: gathering branches, the failure policy, the reducers.

#include <algorithm>

#include "flow/failure_policy.hpp"
#include "flow/item_run.hpp"
#include "flow/item_state.hpp"
#include "flow/reducers.hpp"

namespace parallm::flow {
namespace {

struct policy_result {
  item_status status = item_status::ok;
  std::string error;  // empty when every branch succeeded
};

policy_result apply_policy(const std::vector<branch>& branches, std::optional<int> min_success) {
  const int total = static_cast<int>(branches.size());
  const int succeeded = static_cast<int>(
      std::count_if(branches.begin(), branches.end(), [](const branch& b) { return b.ok; }));
  policy_result result;
  result.status = to_item_status(judge(total, succeeded, min_success));
  if (result.status == item_status::ok) return result;
  std::vector<std::string> errors;
  for (const auto& b : branches) {
    if (!b.ok) errors.push_back(b.label + ": " + b.error);
  }
  result.error = describe_failure(total, succeeded, min_success, errors);
  return result;
}

}  // namespace

void item_run::branches_of(node_index node, std::vector<branch>& out) const {
  const auto& nodes = graph_->nodes();
  for (const auto dep : nodes[node].after) {
    const auto& name = nodes[dep].spec.name;
    const auto& state = nodes_[dep];
    const bool failed = state.status == item_status::failed;
    if (!nodes[dep].is_list || (failed && state.elements.empty())) {
      out.push_back({name, !failed, failed ? nlohmann::json() : state.output, state.error});
      continue;
    }
    const auto label = [&](std::size_t i) { return name + "[" + std::to_string(i) + "]"; };
    if (state.elements.empty()) {
      for (std::size_t i = 0; i < state.output.size(); ++i) {
        out.push_back({label(i), true, state.output[i], {}});
      }
      continue;
    }
    std::size_t next_success = 0;
    for (std::size_t i = 0; i < state.elements.size(); ++i) {
      const auto& slot = state.elements[i];
      if (slot.ok) {
        out.push_back({label(i), true, state.output[next_success++], {}});
      } else {
        out.push_back({label(i), false, nullptr, slot.error});
      }
    }
  }
}

void item_run::after_outputs(node_index node, std::vector<named_output>& out) const {
  const auto& nodes = graph_->nodes();
  for (const auto dep : nodes[node].after) {
    const bool failed = nodes_[dep].status == item_status::failed;
    out.push_back({nodes[dep].spec.name, failed ? nullptr : &nodes_[dep].output});
  }
}

void item_run::run_reduce(node_index node) {
  const auto& compiled = graph_->nodes()[node];
  const auto& spec = compiled.spec;
  auto& state = nodes_[node];
  std::vector<branch> branches;
  branches_of(node, branches);
  std::vector<named_output> after;
  after_outputs(node, after);

  reduce_outcome outcome;
  switch (spec.reduce) {
    case config::reducer_kind::collect:
      outcome.ok = true;
      outcome.output = reduce_collect(after);
      break;
    case config::reducer_kind::concat:
      outcome.ok = true;
      outcome.output = reduce_concat(branches, spec.separator);
      break;
    case config::reducer_kind::template_text:
      outcome = reduce_template(compiled.reduce_template, after, fields_);
      break;
    case config::reducer_kind::vote:
      outcome = reduce_vote(branches, spec.quorum);
      state.votes = std::move(outcome.votes);
      break;
    case config::reducer_kind::max:
      outcome = reduce_max(branches);
      break;
    case config::reducer_kind::min:
      outcome = reduce_min(branches);
      break;
    case config::reducer_kind::first:
      outcome = reduce_first(branches);
      break;
    case config::reducer_kind::llm:
      // node_role::reduce_call runs these; the role and the kind cannot disagree.
      outcome.error = "reduce: llm needs a call";
      break;
  }

  auto policy = apply_policy(branches, spec.min_success);
  if (policy.status == item_status::failed) {
    state.status = item_status::failed;
    state.error = std::move(policy.error);
  } else if (!outcome.ok) {
    state.status = item_status::failed;
    state.error = std::move(outcome.error);
  } else {
    state.status = policy.status;
    state.error = std::move(policy.error);
    state.output = std::move(outcome.output);
  }
}

bool item_run::run_reduce_call(node_index node, std::vector<call_request>& out) {
  const auto& compiled = graph_->nodes()[node];
  auto& state = nodes_[node];
  std::vector<branch> branches;
  branches_of(node, branches);
  auto policy = apply_policy(branches, compiled.spec.min_success);
  state.error = std::move(policy.error);
  if (policy.status == item_status::failed) {
    state.status = item_status::failed;
    return true;
  }
  const auto look = [&](std::string_view name) { return lookup(node, name); };
  std::string missing;
  call_request request{node, 0, {}, {}};
  if (fail_if_render_failed(node, compiled.prompt.render(look, request.prompt, missing),
                            compiled.prompt, missing) ||
      fail_if_render_failed(node, compiled.system.render(look, request.system, missing),
                            compiled.system, missing)) {
    return true;
  }
  state.verdict = policy.status;
  state.calls = 1;
  out.push_back(std::move(request));
  return false;
}

}  // namespace parallm::flow
