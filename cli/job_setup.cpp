#include "cli/job_setup.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch/line_reader.hpp"
#include "batch/openai_batch.hpp"
#include "flow/graph_load.hpp"

namespace parallm::cli {

namespace {

// A YAML single-quoted scalar, so that URLs and names are taken as plain text.
std::string yaml_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::vector<std::string> overrides_for(const setting_shorthands& shorthands,
                                       const std::vector<std::string>& sets) {
  std::vector<std::string> overrides;
  if (shorthands.provider)
    overrides.push_back("provider.kind=" + yaml_quoted(*shorthands.provider));
  if (shorthands.base_url) {
    overrides.push_back("provider.base_url=" + yaml_quoted(*shorthands.base_url));
  }
  if (shorthands.api_key_env) {
    overrides.push_back("provider.api_key_env=" + yaml_quoted(*shorthands.api_key_env));
  }
  if (shorthands.concurrency) {
    overrides.push_back("limits.concurrency=" + std::to_string(*shorthands.concurrency));
  }
  overrides.insert(overrides.end(), sets.begin(), sets.end());
  return overrides;
}

std::shared_ptr<const flow::graph> load_graph(const std::string& job_path,
                                              const std::vector<std::string>& overrides,
                                              bool openai_batch) {
  const auto loaded = flow::load_graph_file(job_path, overrides, openai_batch);
  for (const auto& note : loaded.notes) std::fprintf(stderr, "parallm: %s\n", note.c_str());
  for (const auto& error : loaded.errors) std::fprintf(stderr, "%s\n", error.c_str());
  return loaded.value;
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

namespace {

// The first non-blank line and its number; nullopt for stdin or an input with none.
std::optional<std::pair<std::uint64_t, std::string>> first_line(const std::string& path) {
  if (path == "-") return std::nullopt;
  batch::line_reader reader(path);
  std::string line;
  while (reader.next(line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    return std::pair{reader.line_number(), std::move(line)};
  }
  return std::nullopt;
}

}  // namespace

bool input_is_openai_batch(const std::string& path) {
  const auto line = first_line(path);
  return line && batch::looks_like_openai_batch(line->second);
}

std::optional<std::string> check_batch_input(const std::string& path) {
  const auto line = first_line(path);
  if (!line || batch::looks_like_openai_batch(line->second)) return std::nullopt;
  return path + ": line " + std::to_string(line->first) +
         " is not an OpenAI Batch file request (no custom_id/body): did you forget JOB.yaml?";
}

}  // namespace parallm::cli
