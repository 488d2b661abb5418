#pragma once
// One item's walk through the graph: which nodes are ready, what each produced, the failure
// policy, and the item's output line. Pure: no actors, no I/O, no clocks.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "flow/call.hpp"
#include "flow/graph.hpp"

namespace parallm::flow {

struct branch;
struct named_output;

enum class item_status { ok, partial, failed };
std::string_view to_string(item_status s);

class item_run {
 public:
  // fields: the input line's JSON object (its template variables).
  item_run(const graph& g, nlohmann::json fields);
  ~item_run();
  item_run(item_run&&) noexcept;
  item_run& operator=(item_run&&) noexcept;

  // Runs every node that is ready without a call (splits, reducers) and appends the calls
  // the item needs now. Call once.
  void start(std::vector<call_request>& out);

  // Records the final result of one call and appends the calls that became ready.
  void complete(node_index node, std::uint32_t element, call_result result,
                std::vector<call_request>& out);

  bool done() const;
  item_status status() const;  // valid once done()
  std::uint64_t prompt_tokens() const;
  std::uint64_t completion_tokens() const;

  // The output line (one JSON object, no trailing newline) of CONTRACT.md:
  // {"id","line","status","output","nodes","usage","error"}. id is the item's id as JSON
  // text, written as it is (batch::input_item::id); empty writes null. input_line is the
  // 1-based input line number. Valid once done().
  std::string output_line(std::string_view id, std::uint64_t input_line) const;

 private:
  struct node_state;

  // run_* return true when the node settled without a call.
  void run(node_index node, std::vector<call_request>& out);
  void run_split(node_index node);
  bool run_calls(node_index node, std::vector<call_request>& out);
  void run_reduce(node_index node);
  bool run_reduce_call(node_index node, std::vector<call_request>& out);
  void finish_list(node_index node);
  static void note_finish_reason(node_state& state, std::uint32_t element, std::string reason);
  void settle(node_index node, std::vector<call_request>& out);
  bool fail_if_upstream_failed(node_index node);
  bool fail_if_render_failed(node_index node, bool rendered, const text_template& text,
                             const std::string& missing);
  const nlohmann::json* lookup(node_index node, std::string_view name) const;
  void branches_of(node_index node, std::vector<branch>& out) const;
  void after_outputs(node_index node, std::vector<named_output>& out) const;
  void write_node(std::string& line, node_index node) const;

  const graph* graph_;
  nlohmann::json fields_;
  std::vector<node_state> nodes_;
  std::size_t pending_nodes_ = 0;
};

// The output line of an item that failed before it could run (bad JSON, duplicate id,
// missing template variable in validation): status "failed" with this error. id and
// input_line as for item_run::output_line.
std::string failed_output_line(std::string_view id, std::uint64_t input_line,
                               std::string_view error);

}  // namespace parallm::flow
