#include "cli/job_setup.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch/line_reader.hpp"
#include "batch/openai_batch.hpp"
#include "config/job_loader.hpp"

namespace parallm::cli {

namespace {

// The job of a Batch file run without a job file: the model and every request field come
// from each line's body; --provider/--base-url/--set shape the rest.
constexpr const char* batch_job_yaml =
    "version: 1\nname: openai-batch\nprovider: { kind: openai, model: from-request-body }\n";

void add_passthrough_node(config::job& job) {
  config::node_spec node;
  node.name = "request";
  node.prompt = "{{body}}";
  node.passthrough = true;
  job.nodes.push_back(std::move(node));
  job.output = "request";
}

}  // namespace

std::shared_ptr<const flow::graph> load_graph(const std::string& job_path,
                                              const std::vector<std::string>& overrides,
                                              bool openai_batch) {
  const config::job_load_options options{openai_batch};
  auto loaded = job_path.empty()
                    ? config::parse_job(batch_job_yaml, "<openai-batch>", overrides, options)
                    : config::load_job_file(job_path, overrides, options);
  if (!loaded.errors.empty()) {
    for (const auto& d : loaded.errors) std::fprintf(stderr, "%s\n", d.to_string().c_str());
    std::fprintf(stderr, "parallm: %zu error%s in %s\n", loaded.errors.size(),
                 loaded.errors.size() == 1 ? "" : "s",
                 job_path.empty() ? "the OpenAI Batch settings" : job_path.c_str());
    return nullptr;
  }
  if (loaded.value->nodes.empty()) add_passthrough_node(*loaded.value);
  return flow::graph::compile(*loaded.value);
}

std::optional<std::string> check_input_readable(const std::string& path) {
  if (path == "-") return std::nullopt;
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return "cannot read input " + path + ": " + std::strerror(errno);
  struct stat st {};
  const bool is_dir = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
  ::close(fd);
  if (is_dir) return "cannot read input " + path + ": is a directory";
  return std::nullopt;
}

bool input_is_openai_batch(const std::string& path) {
  if (path == "-") return false;
  batch::line_reader reader(path);
  std::string line;
  while (reader.next(line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    return batch::looks_like_openai_batch(line);
  }
  return false;
}

}  // namespace parallm::cli
