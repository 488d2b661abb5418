#include "config/job_loader.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include <yaml-cpp/yaml.h>

#include "config/graph_checks.hpp"
#include "config/limits_reader.hpp"
#include "config/node_reader.hpp"
#include "config/overrides.hpp"
#include "config/provider_reader.hpp"
#include "config/yaml_reader.hpp"

namespace parallm::config {
namespace {

void read_nodes(const YAML::Node& root, job& result, yaml_reader& reader,
                const job_load_options& options) {
  const auto nodes = child(root, "nodes");
  if (!nodes && options.nodes_optional) return;
  if (!nodes) {
    reader.error_at("nodes", reader.where(""),
                    "missing required key 'nodes' (expected a map of node name -> node)");
    return;
  }
  if (!reader.expect_map(*nodes, "nodes")) return;
  const auto names = reader.keys(*nodes, "nodes");
  if (names.empty()) reader.error("nodes", "expected at least one node");
  for (const auto& name : names) {
    result.nodes.push_back(
        read_node(name, *child(*nodes, name), "nodes." + name, result.provider, reader));
  }
}

job read_job(const YAML::Node& root, const std::string& path, yaml_reader& reader,
             const job_load_options& options) {
  job result;
  result.path = path;
  result.name = std::filesystem::path(path).stem().string();
  result.provider = default_provider(provider_kind::sim);
  reader.remember("", root);
  if (!root.IsMap()) {
    reader.error("", root.IsNull() ? std::string("the job file is empty (expected a map with "
                                                 "at least nodes:)")
                                   : "expected a map of job settings (version, name, provider, "
                                     "limits, nodes, output), got " +
                                         describe(root));
    return result;
  }
  reader.check_keys(root, "", {"version", "name", "provider", "limits", "nodes", "output"});
  if (const auto version = reader.read_int(root, "", "version", INT_MIN)) {
    if (*version != 1) {
      reader.error("version",
                   "version " + std::to_string(*version) + " is not supported (expected 1)");
    }
  }
  if (const auto name = reader.read_string(root, "", "name")) result.name = *name;
  if (const auto provider = child(root, "provider")) {
    result.provider =
        read_provider(*provider, "provider", default_provider(provider_kind::sim), reader);
  }
  if (const auto limits = child(root, "limits")) {
    result.limits = read_limits(*limits, "limits", reader);
  }
  read_nodes(root, result, reader, options);
  if (const auto output = reader.read_string(root, "", "output")) {
    if (output->empty()) reader.error("output", "expected a node name, got an empty string");
    result.output = *output;
  } else if (!child(root, "output") && !result.nodes.empty()) {
    result.output = result.nodes.back().name;
  }
  if (!result.nodes.empty()) check_graph(result, reader);
  return result;
}

}  // namespace

job_load_result parse_job(std::string_view yaml_text, const std::string& path,
                          const std::vector<std::string>& overrides, job_load_options options) {
  job_load_result result;
  try {
    YAML::Node root = YAML::Load(std::string(yaml_text));
    yaml_reader reader(path, result.errors);
    reader.set_checks_files(options.local_files);
    apply_overrides(root, overrides, reader, result.errors, result.notes);
    job parsed = read_job(root, path, reader, options);
    if (result.errors.empty()) result.value = std::move(parsed);
    // Checks run by concern, but a reader wants the file's order.
    std::stable_sort(result.errors.begin(), result.errors.end(), [](const auto& a, const auto& b) {
      return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line < 0 ? 0 : e.mark.line + 1;
    const int column = e.mark.column < 0 ? 0 : e.mark.column + 1;
    result.errors.push_back({path, line, column, "", "YAML syntax error: " + e.msg});
  }
  return result;
}

job_load_result load_job_file(const std::string& path, const std::vector<std::string>& overrides,
                              job_load_options options) {
  const auto fail = [&](int error_number) {
    job_load_result result;
    result.errors.push_back(
        {path, 0, 0, "", std::string("cannot read job file: ") + std::strerror(error_number)});
    return result;
  };
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                             &std::fclose);
  if (!file) return fail(errno);
  std::string text;
  char buffer[1 << 14];
  std::size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) text.append(buffer, count);
  if (std::ferror(file.get())) return fail(errno);
  return parse_job(text, path, overrides, options);
}

}  // namespace parallm::config
