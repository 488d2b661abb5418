#include "flow/graph_load.hpp"

#include "config/job_loader.hpp"

namespace parallm::flow {
namespace {

// The job of a Batch file run without a job file: the model and every request field come
// from each line's body; --provider/--base-url/--set shape the rest.
constexpr const char* batch_job_yaml =
    "version: 1\nname: openai-batch\nprovider: { kind: openai, model: from-request-body }\n";

void add_passthrough_node(config::job& job) {
  config::node_spec node;
  node.name = "request";
  node.prompt = "{{body}}";
  node.system = "{{url}}";
  node.passthrough = true;
  job.nodes.push_back(std::move(node));
  job.output = "request";
}

graph_load compile(config::job_load_result loaded, const std::string& path) {
  graph_load out;
  out.notes = std::move(loaded.notes);
  if (!loaded.errors.empty()) {
    for (const auto& d : loaded.errors) out.errors.push_back(d.to_string());
    out.errors.push_back("parallm: " + std::to_string(loaded.errors.size()) + " error" +
                         (loaded.errors.size() == 1 ? "" : "s") + " in " +
                         (path.empty() ? "the OpenAI Batch settings" : path));
    return out;
  }
  if (loaded.value->nodes.empty()) add_passthrough_node(*loaded.value);
  out.value = graph::compile(*loaded.value);
  return out;
}

}  // namespace

graph_load load_graph_file(const std::string& path, const std::vector<std::string>& overrides,
                           bool openai_batch) {
  if (path.empty()) return load_graph_text("", path, overrides, openai_batch);
  const config::job_load_options options{openai_batch};
  return compile(config::load_job_file(path, overrides, options), path);
}

graph_load load_graph_text(std::string_view text, const std::string& path,
                           const std::vector<std::string>& overrides, bool openai_batch) {
  const config::job_load_options options{openai_batch, false};
  if (text.empty() && openai_batch) {
    return compile(config::parse_job(batch_job_yaml, "<openai-batch>", overrides, options), "");
  }
  return compile(config::parse_job(text, path, overrides, options), path);
}

}  // namespace parallm::flow
