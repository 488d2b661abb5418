#pragma once
// A job file or text to the compiled graph, with every problem as text: `run` and `submit`
// print them, the coordinator sends them back to the client that submitted the job.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flow/graph.hpp"

namespace parallm::flow {

struct graph_load {
  std::shared_ptr<const graph> value;  // null when there are errors
  std::vector<std::string> errors;     // one per problem, then a count naming the job
  std::vector<std::string> notes;      // not errors: fields a change of kind dropped
};

// openai_batch: the input is an OpenAI Batch API file. The job may then be only a provider
// (and limits), or absent (path and text empty: an openai provider, shaped by the overrides);
// it gets one pass-through node that sends each line's body as it is.
graph_load load_graph_file(const std::string& path, const std::vector<std::string>& overrides,
                           bool openai_batch);
// The same for a job's text, as a client sent it to a coordinator: `path` names it in
// messages and anchors its relative paths; the files it names are not looked for here (the
// workers open them on their hosts). An empty text with openai_batch is the job of a Batch
// file run without a job file.
graph_load load_graph_text(std::string_view text, const std::string& path,
                           const std::vector<std::string>& overrides, bool openai_batch);

}  // namespace parallm::flow
