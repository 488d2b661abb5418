#include "config/overrides.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "config/provider_reader.hpp"

namespace parallm::config {
namespace {

constexpr const char* k_set = "--set";

// Each segment of a key is a YAML map made on the way: a coordinator parses the overrides a
// client sends, and a key of 100000 segments made it allocate gigabytes. No field of a job
// lies deeper than a node's params, a handful of levels down.
constexpr std::size_t max_override_segments = 32;

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

bool sets_provider_kind(const std::vector<std::string>& segments) {
  return segments.size() >= 2 && segments.back() == "kind" &&
         segments[segments.size() - 2] == "provider";
}

// A job written for one kind holds that kind's fields (sim's latency_ms, openai's base_url);
// changing the kind from the command line would otherwise make them errors. They are dropped,
// and a note says which.
void drop_other_kind_keys(YAML::Node& provider, const std::string& key, const YAML::Node& value,
                          std::vector<std::string>& notes) {
  if (!value.IsScalar()) return;
  const auto kind = parse_provider_kind(value.Scalar());
  if (!kind) return;
  if (const auto old = child(provider, "kind");
      old && old->IsScalar() && old->Scalar() == value.Scalar()) {
    return;
  }
  std::vector<std::string> dropped;
  for (auto it = provider.begin(); it != provider.end(); ++it) {
    if (it->first.IsScalar() && belongs_to_other_kind(it->first.Scalar(), *kind)) {
      dropped.push_back(it->first.Scalar());
    }
  }
  if (dropped.empty()) return;
  for (const auto& name : dropped) provider.remove(name);
  const std::string parent = key.substr(0, key.size() - std::string_view(".kind").size());
  std::string names;
  for (const auto& name : dropped) names += (names.empty() ? "" : ", ") + parent + "." + name;
  notes.push_back(key + "=" + value.Scalar() + " from the command line: ignoring the job's " +
                  names + " (not used by kind: " + value.Scalar() + ")");
}

// A key named like a credential (provider.api_key, nodes.x.provider.token, ...): no field of a
// job holds one, and a command line is readable by every user of the machine (ps), so such a
// --set is refused without echoing its value, pointing to where keys belong.
bool names_a_secret(const std::string& segment) {
  std::string name;
  for (const char c : segment) {
    name += c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (const std::string_view whole :
       {"key", "apikey", "token", "secret", "password", "authorization", "bearer", "credentials"}) {
    if (name == whole) return true;
  }
  for (const std::string_view tail : {"_key", "_token", "_secret", "_password"}) {
    if (name.ends_with(tail)) return true;
  }
  return false;
}

// `--set provider.api_key: sk-...` (a colon for the '=') must not print the key: only the
// entry's head up to the first space or colon is shown, at most 64 characters.
diagnostic missing_equals(const std::string& entry) {
  constexpr std::size_t shown_at_most = 64;
  const auto head = entry.substr(0, std::min(entry.find_first_of(" :\t"), shown_at_most));
  std::string message = "expected KEY=VALUE, e.g. limits.concurrency=32";
  if (head.size() < entry.size()) message += " (the rest of the entry is not shown)";
  return {k_set, 0, 0, head, message};
}

}  // namespace

void apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides,
                     yaml_reader& reader, diagnostics& out, std::vector<std::string>& notes) {
  for (const auto& entry : overrides) {
    const auto equals = entry.find('=');
    if (equals == std::string::npos) {
      out.push_back(missing_equals(entry));
      continue;
    }
    const std::string key = entry.substr(0, equals);
    if (static_cast<std::size_t>(std::count(key.begin(), key.end(), '.')) >=
        max_override_segments) {
      out.push_back({k_set, 0, 0, key.substr(0, 64),
                     "a key of more than " + std::to_string(max_override_segments) +
                         " segments is deeper than any job's field"});
      continue;
    }
    const auto segments = split_path(key);
    bool has_empty_segment = false;
    for (const auto& segment : segments) has_empty_segment |= segment.empty();
    if (has_empty_segment) {
      out.push_back({k_set, 0, 0, key,
                     "empty segment in key '" + key +
                         "' (expected a dotted path such as nodes.poem.temperature)"});
      continue;
    }
    if (names_a_secret(segments.back())) {
      out.push_back({k_set, 0, 0, key,
                     "refusing a secret on the command line, where every user of this machine "
                     "can read it (ps): put the API key in an environment variable and name the "
                     "variable with provider.api_key_env (or --api-key-env)"});
      continue;
    }
    YAML::Node value;
    try {
      value = YAML::Load(entry.substr(equals + 1));
    } catch (const YAML::Exception& e) {
      out.push_back({k_set, 0, 0, key,
                     "cannot read the value as YAML: " + e.msg + "; quote text values: --set '" +
                         key + "=\"...\"'"});
      continue;
    }
    if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) continue;  // the loader reports a job file that is not a map
    if (auto parent = parent_map(root, segments, key, out)) {
      if (sets_provider_kind(segments)) drop_other_kind_keys(*parent, key, value, notes);
      (*parent)[segments.back()] = value;
      reader.mark_overridden(key);
    }
  }
}

}  // namespace parallm::config
