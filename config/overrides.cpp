#include "config/overrides.hpp"

namespace parallm::config {
namespace {

constexpr const char* k_set = "--set";

std::vector<std::string> split_path(const std::string& key) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (true) {
    const auto dot = key.find('.', start);
    segments.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) return segments;
    start = dot + 1;
  }
}

// Walks to the map that holds the last segment, creating missing maps; nullopt (reported)
// when a segment on the way holds something else.
std::optional<YAML::Node> parent_map(YAML::Node& root, const std::vector<std::string>& segments,
                                     const std::string& key, diagnostics& out) {
  YAML::Node current;
  current.reset(root);
  std::string walked;
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    walked = join_field(walked, segments[i]);
    YAML::Node next = current[segments[i]];
    if (!next.IsDefined() || next.IsNull()) {
      next = YAML::Node(YAML::NodeType::Map);
    } else if (!next.IsMap()) {
      out.push_back({k_set, 0, 0, key,
                     "cannot set a key inside '" + walked + "', which holds " + describe(next) +
                         ", not a map"});
      return std::nullopt;
    }
    current.reset(next);
  }
  return current;
}

}  // namespace

void apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides,
                     yaml_reader& reader, diagnostics& out) {
  for (const auto& entry : overrides) {
    const auto equals = entry.find('=');
    if (equals == std::string::npos) {
      out.push_back({k_set, 0, 0, entry, "expected KEY=VALUE, e.g. limits.concurrency=32"});
      continue;
    }
    const std::string key = entry.substr(0, equals);
    const auto segments = split_path(key);
    bool has_empty_segment = false;
    for (const auto& segment : segments) has_empty_segment |= segment.empty();
    if (has_empty_segment) {
      out.push_back({k_set, 0, 0, key,
                     "empty segment in key '" + key +
                         "' (expected a dotted path such as nodes.poem.temperature)"});
      continue;
    }
    YAML::Node value;
    try {
      value = YAML::Load(entry.substr(equals + 1));
    } catch (const YAML::Exception& e) {
      out.push_back({k_set, 0, 0, key, "cannot read the value as YAML: " + e.msg});
      continue;
    }
    if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) continue;  // the loader reports a job file that is not a map
    if (auto parent = parent_map(root, segments, key, out)) {
      (*parent)[segments.back()] = value;
      reader.mark_overridden(key);
    }
  }
}

}  // namespace parallm::config
