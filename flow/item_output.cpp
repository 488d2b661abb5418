// The item's output line, written by hand: it is built once per item, millions of times.

#include <cmath>

#include "flow/item_run.hpp"
#include "flow/item_state.hpp"
#include "flow/json_text.hpp"

namespace parallm::flow {
namespace {

void append_usage(std::string& line, std::uint64_t prompt, std::uint64_t completion) {
  line += "{\"prompt_tokens\":";
  append_json_number(line, prompt);
  line += ",\"completion_tokens\":";
  append_json_number(line, completion);
}

void append_totals(std::string& line, std::uint64_t prompt, std::uint64_t completion) {
  line += ",\"usage\":";
  append_usage(line, prompt, completion);
  line += ",\"total_tokens\":";
  append_json_number(line, prompt + completion);
  line += '}';
}

// A guess at the line's length that is rarely short, so the line is allocated once.
std::size_t size_hint(const nlohmann::json& output) {
  return output.is_string() ? output.get_ref<const std::string&>().size() + 16 : 64;
}

// {"id":<id>,"line":<line>: the id's JSON text as it is, null when there is none.
void append_id_and_line(std::string& line, std::string_view id, std::uint64_t input_line) {
  line += "{\"id\":";
  if (id.empty()) {
    line += "null";
  } else {
    line += id;
  }
  line += ",\"line\":";
  append_json_number(line, input_line);
}

}  // namespace

void item_run::write_node(std::string& line, node_index node) const {
  const auto& compiled = graph_->nodes()[node];
  const auto& state = nodes_[node];
  line += "{\"status\":\"";
  line += to_string(state.status);
  line += "\",\"output\":";
  if (state.status == item_status::failed) {
    line += "null";
  } else {
    append_json(line, state.output);
  }
  if (state.calls > 0) {
    line += ",\"attempts\":";
    append_json_number(line, static_cast<std::uint64_t>(std::max(state.attempts, 0)));
    line += ",\"latency_ms\":";
    append_json_number(line,
                       static_cast<std::uint64_t>(std::llround(std::max(state.latency_ms, 0.0))));
    line += ",\"usage\":";
    append_usage(line, state.prompt_tokens, state.completion_tokens);
    line += "},\"finish_reason\":";
    if (state.finish_reason.empty()) {
      line += "null";
    } else {
      append_json_string(line, state.finish_reason);
    }
  }
  if (state.status != item_status::ok) {
    line += ",\"error\":";
    append_json_string(line, state.error);
  }
  if (compiled.role == node_role::reduce && compiled.spec.reduce == config::reducer_kind::vote) {
    line += ",\"votes\":{";
    for (std::size_t i = 0; i < state.votes.size(); ++i) {
      if (i > 0) line += ',';
      append_json_string(line, state.votes[i].first);
      line += ':';
      append_json_number(line, static_cast<std::uint64_t>(state.votes[i].second));
    }
    line += '}';
  }
  bool first_error = true;
  for (std::size_t i = 0; i < state.elements.size(); ++i) {
    const auto& slot = state.elements[i];
    if (!slot.received || slot.ok) continue;
    line += first_error ? ",\"errors\":[" : ",";
    first_error = false;
    append_json_string(line, std::to_string(i) + ": " + slot.error);
  }
  if (!first_error) line += ']';
  line += '}';
}

std::string item_run::output_line(std::string_view id, std::uint64_t input_line) const {
  const auto item = status();
  std::size_t hint = 128 + id.size();
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    hint += 160 + graph_->nodes()[i].spec.name.size() + size_hint(nodes_[i].output);
  }
  if (!nodes_.empty()) hint += size_hint(nodes_[graph_->output()].output);
  std::string line;
  line.reserve(hint);
  append_id_and_line(line, id, input_line);
  line += ",\"status\":\"";
  line += to_string(item);
  line += "\",\"output\":";
  if (item == item_status::failed) {
    line += "null";
  } else {
    append_json(line, nodes_[graph_->output()].output);
  }
  line += ",\"nodes\":{";
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (i > 0) line += ',';
    append_json_string(line, graph_->nodes()[i].spec.name);
    line += ':';
    write_node(line, static_cast<node_index>(i));
  }
  line += '}';
  append_totals(line, prompt_tokens(), completion_tokens());
  line += ",\"error\":";
  if (item != item_status::failed) {
    line += "null";
  } else if (nodes_.empty()) {
    append_json_string(line, "the job has no nodes");
  } else {
    const auto output = graph_->output();
    append_json_string(line,
                       "node '" + graph_->nodes()[output].spec.name + "': " + nodes_[output].error);
  }
  line += '}';
  return line;
}

std::string failed_output_line(std::string_view id, std::uint64_t input_line,
                               std::string_view error) {
  std::string line;
  line.reserve(180 + id.size() + error.size());
  append_id_and_line(line, id, input_line);
  line += ",\"status\":\"failed\",\"output\":null,\"nodes\":{}";
  append_totals(line, 0, 0);
  line += ",\"error\":";
  append_json_string(line, error);
  line += '}';
  return line;
}

}  // namespace parallm::flow
