#include "flow/item_run.hpp"

#include <algorithm>

#include "flow/failure_policy.hpp"
#include "flow/item_state.hpp"
#include "flow/split.hpp"

namespace parallm::flow {
namespace {

const nlohmann::json& empty_text() {
  static const nlohmann::json empty = "";
  return empty;
}

bool is_string_list(const nlohmann::json& value) {
  return value.is_array() &&
         std::all_of(value.begin(), value.end(), [](const auto& e) { return e.is_string(); });
}

}  // namespace

std::string_view to_string(item_status s) {
  switch (s) {
    case item_status::ok:
      return "ok";
    case item_status::partial:
      return "partial";
    case item_status::failed:
      break;
  }
  return "failed";
}

item_run::item_run(const graph& g, nlohmann::json fields)
    : graph_(&g),
      fields_(std::move(fields)),
      nodes_(g.nodes().size()),
      pending_nodes_(g.nodes().size()) {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    nodes_[i].waiting_on = static_cast<std::uint32_t>(g.nodes()[i].deps.size());
  }
}

item_run::~item_run() = default;
item_run::item_run(item_run&&) noexcept = default;
item_run& item_run::operator=(item_run&&) noexcept = default;

void item_run::start(std::vector<call_request>& out) {
  const auto& nodes = graph_->nodes();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].deps.empty()) run(static_cast<node_index>(i), out);
  }
}

namespace {

bool normal_stop(const std::string& reason) {
  return reason.empty() || reason == "stop";
}

}  // namespace

void item_run::note_finish_reason(node_state& state, std::uint32_t element, std::string reason) {
  const bool first = state.received == 0;
  const bool replaces = normal_stop(state.finish_reason)
                            ? !normal_stop(reason) || state.finish_reason.empty()
                            : !normal_stop(reason) && element < state.finish_element;
  if (!first && !replaces) return;
  state.finish_reason = std::move(reason);
  state.finish_element = element;
}

void item_run::complete(node_index node, std::uint32_t element, call_result result,
                        std::vector<call_request>& out) {
  if (node >= nodes_.size()) return;
  auto& state = nodes_[node];
  if (state.settled || element >= state.calls) return;
  const bool list = !state.elements.empty();
  if (list) {
    if (state.elements[element].received) return;
    const auto span = state.per_call;
    const auto returned = 1 + result.more_texts.size();
    for (std::uint32_t i = 0; i < span; ++i) {
      auto& slot = state.elements[element + i];
      slot.received = true;
      slot.ok = result.ok && i < returned;
      if (slot.ok) {
        slot.text = std::move(i == 0 ? result.text : result.more_texts[i - 1]);
      } else if (!result.ok) {
        slot.error = result.error;
      } else {
        slot.error = "the endpoint returned " + std::to_string(returned) + " of " +
                     std::to_string(span) + " choices";
      }
    }
  }
  note_finish_reason(state, element, std::move(result.finish_reason));
  ++state.received;
  state.attempts += result.attempts;
  state.latency_ms = std::max(state.latency_ms, result.latency_ms);
  state.prompt_tokens += result.prompt_tokens;
  state.completion_tokens += result.completion_tokens;
  if (state.received < state.calls) return;
  if (list) {
    finish_list(node);
  } else if (result.ok && graph_->nodes()[node].spec.passthrough) {
    // The answer's envelope, kept as JSON so the output line carries it as an object. Anything
    // else is no answer to a Batch line: the item fails, so that its line, the counts and the
    // exit status agree.
    auto envelope = nlohmann::json::parse(result.text, nullptr, false);
    if (envelope.is_object() && envelope.contains("status_code")) {
      state.output = std::move(envelope);
      state.status = state.verdict;
    } else {
      state.status = item_status::failed;
      state.error = "no response envelope from the provider";
    }
  } else if (result.ok) {
    state.output = std::move(result.text);
    state.status = state.verdict;
  } else {
    state.status = item_status::failed;
    state.error = std::move(result.error);
  }
  settle(node, out);
}

bool item_run::done() const {
  return pending_nodes_ == 0;
}

item_status item_run::status() const {
  if (nodes_.empty() || nodes_[graph_->output()].status == item_status::failed) {
    return item_status::failed;
  }
  const bool degraded = std::any_of(nodes_.begin(), nodes_.end(), [](const node_state& n) {
    return n.status != item_status::ok;
  });
  return degraded ? item_status::partial : item_status::ok;
}

std::uint64_t item_run::prompt_tokens() const {
  std::uint64_t total = 0;
  for (const auto& n : nodes_) total += n.prompt_tokens;
  return total;
}

std::uint64_t item_run::completion_tokens() const {
  std::uint64_t total = 0;
  for (const auto& n : nodes_) total += n.completion_tokens;
  return total;
}

void item_run::run(node_index node, std::vector<call_request>& out) {
  bool settled = true;
  switch (graph_->nodes()[node].role) {
    case node_role::split:
      run_split(node);
      break;
    case node_role::reduce:
      run_reduce(node);
      break;
    case node_role::call:
      settled = run_calls(node, out);
      break;
    case node_role::reduce_call:
      settled = run_reduce_call(node, out);
      break;
  }
  if (settled) settle(node, out);
}

void item_run::settle(node_index node, std::vector<call_request>& out) {
  nodes_[node].settled = true;
  --pending_nodes_;
  for (const auto dependent : graph_->nodes()[node].dependents) {
    if (--nodes_[dependent].waiting_on == 0) run(dependent, out);
  }
}

bool item_run::fail_if_upstream_failed(node_index node) {
  for (const auto dep : graph_->nodes()[node].deps) {
    if (nodes_[dep].status == item_status::failed) {
      nodes_[node].status = item_status::failed;
      nodes_[node].error = "upstream node '" + graph_->nodes()[dep].spec.name + "' failed";
      return true;
    }
  }
  return false;
}

bool item_run::fail_if_render_failed(node_index node, bool rendered, const text_template& text,
                                     const std::string& missing) {
  if (rendered) return false;
  nodes_[node].status = item_status::failed;
  nodes_[node].error = missing.empty() ? "bad template: " + text.error()
                                       : "missing template variable '" + missing + "'";
  return true;
}

const nlohmann::json* item_run::lookup(node_index node, std::string_view name) const {
  const auto& nodes = graph_->nodes();
  for (const auto dep : nodes[node].deps) {
    if (nodes[dep].spec.name == name) {
      const auto& state = nodes_[dep];
      return state.status == item_status::failed ? &empty_text() : &state.output;
    }
  }
  if (!fields_.is_object()) return nullptr;
  const auto it = fields_.find(name);
  return it == fields_.end() ? nullptr : &*it;
}

void item_run::run_split(node_index node) {
  if (fail_if_upstream_failed(node)) return;
  const auto& spec = graph_->nodes()[node].spec;
  const auto input = graph_->nodes()[node].split_input;
  auto& state = nodes_[node];
  const nlohmann::json* source = nullptr;
  if (input) {
    source = &nodes_[*input].output;
  } else if (fields_.is_object()) {
    source = find_field(fields_, spec.split_source);
  }
  const auto what = (input ? "output of node '" : "field '") + spec.split_source + "'";
  if (source == nullptr) {
    state.status = item_status::failed;
    state.error = "missing " + what;
  } else if (source->is_string()) {
    state.output = nlohmann::json::array();
    for (auto& chunk : split_text(source->get_ref<const std::string&>(), spec.by, spec.max_chars)) {
      state.output.push_back(std::move(chunk));
    }
  } else if (is_string_list(*source)) {
    state.output = *source;
  } else {
    state.status = item_status::failed;
    state.error = what + " is not a string or a list of strings";
  }
}

bool item_run::run_calls(node_index node, std::vector<call_request>& out) {
  if (fail_if_upstream_failed(node)) return true;
  const auto& compiled = graph_->nodes()[node];
  auto& state = nodes_[node];
  const auto first_call = out.size();
  std::string missing;
  std::uint32_t count = 0;
  if (compiled.foreach) {
    const auto& list = nodes_[*compiled.foreach].output;
    count = list.is_array() ? static_cast<std::uint32_t>(list.size()) : 1;
    for (std::uint32_t k = 0; k < count; ++k) {
      const nlohmann::json& item = list.is_array() ? list[k] : list;
      const nlohmann::json index = k;
      const auto look = [&](std::string_view name) -> const nlohmann::json* {
        if (name == "item") return &item;
        if (name == "item_index") return &index;
        return lookup(node, name);
      };
      call_request request{node, k, {}, {}};
      if (fail_if_render_failed(node, compiled.prompt.render(look, request.prompt, missing),
                                compiled.prompt, missing) ||
          fail_if_render_failed(node, compiled.system.render(look, request.system, missing),
                                compiled.system, missing)) {
        out.erase(out.begin() + static_cast<std::ptrdiff_t>(first_call), out.end());
        return true;
      }
      out.push_back(std::move(request));
    }
  } else {
    const auto look = [&](std::string_view name) { return lookup(node, name); };
    std::string prompt;
    std::string system;
    if (fail_if_render_failed(node, compiled.prompt.render(look, prompt, missing), compiled.prompt,
                              missing) ||
        fail_if_render_failed(node, compiled.system.render(look, system, missing), compiled.system,
                              missing)) {
      return true;
    }
    count = static_cast<std::uint32_t>(std::max(1, compiled.spec.samples));
    if (count > 1 && graph_->providers()[compiled.provider].supports_n) {
      // One request asks for every sample: the endpoint bills the prompt once.
      out.push_back({node, 0, std::move(prompt), std::move(system), count});
      state.calls = 1;
      state.per_call = count;
      state.elements.resize(count);
      return false;
    }
    for (std::uint32_t k = 0; k + 1 < count; ++k) out.push_back({node, k, prompt, system});
    out.push_back({node, count - 1, std::move(prompt), std::move(system)});
  }
  state.calls = count;
  if (!compiled.is_list) return false;
  if (count == 0) {
    state.output = nlohmann::json::array();
    return true;
  }
  state.elements.resize(count);
  return false;
}

void item_run::finish_list(node_index node) {
  const auto& spec = graph_->nodes()[node].spec;
  auto& state = nodes_[node];
  state.output = nlohmann::json::array();
  std::vector<std::string> errors;
  int succeeded = 0;
  for (std::size_t i = 0; i < state.elements.size(); ++i) {
    auto& slot = state.elements[i];
    if (slot.ok) {
      state.output.push_back(std::move(slot.text));
      ++succeeded;
    } else {
      errors.push_back(std::to_string(i) + ": " + slot.error);
    }
  }
  const int total = static_cast<int>(state.elements.size());
  state.status = to_item_status(judge(total, succeeded, spec.min_success));
  if (state.status != item_status::ok) {
    state.error = describe_failure(total, succeeded, spec.min_success, errors);
  }
}

}  // namespace parallm::flow
