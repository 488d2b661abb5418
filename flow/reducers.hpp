#pragma once
// The reducers that need no LLM call, as pure functions over a reduce node's branches.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "flow/text_template.hpp"

namespace parallm::flow {

// One input of a reduce node: an `after` node, or one element of an `after` list node.
struct branch {
  std::string label;  // "story", or "label[2]" for an element of a list node
  bool ok = false;
  nlohmann::json output;
  std::string error;
};

// An `after` node as a whole; output nullptr when the node failed.
struct named_output {
  std::string_view name;
  const nlohmann::json* output = nullptr;
};

struct reduce_outcome {
  bool ok = false;
  nlohmann::json output;
  std::string error;
  // vote only: normalized answer and its count, most votes first, ties in first-seen order
  std::vector<std::pair<std::string, int>> votes;
};

// {name: output} with failed nodes as null.
nlohmann::json reduce_collect(const std::vector<named_output>& after);

// The successful outputs (strings as they are, other values as JSON) joined by `separator`.
std::string reduce_concat(const std::vector<branch>& branches, std::string_view separator);

// Renders `text` with the `after` outputs (a failed one reads as "") and then the item fields.
reduce_outcome reduce_template(const text_template& text, const std::vector<named_output>& after,
                               const nlohmann::json& fields);

// The answer most successful branches agree on after normalizing (trim, ASCII lower case,
// whitespace runs as one space); ties go to the answer seen first. Its output is the first
// trimmed original of that answer. quorum > 0: fewer votes than that fail the node. Empty
// answers cannot vote: their branches are marked failed.
reduce_outcome reduce_vote(std::vector<branch>& branches, int quorum);

// The largest / smallest number among the successful outputs, as its trimmed original text;
// ties go to the earliest branch. Outputs that are not numbers mark their branch failed.
reduce_outcome reduce_max(std::vector<branch>& branches);
reduce_outcome reduce_min(std::vector<branch>& branches);

// The first successful branch's output.
reduce_outcome reduce_first(const std::vector<branch>& branches);

}  // namespace parallm::flow
