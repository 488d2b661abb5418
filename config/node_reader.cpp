#include "config/node_reader.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "config/provider_reader.hpp"

namespace parallm::config {
namespace {

const key_list k_llm_keys = {"prompt",  "system",   "temperature", "max_tokens", "samples",
                             "foreach", "provider", "params",      "min_success"};
const key_list k_llm_step_keys = {"prompt",     "system",   "temperature",
                                  "max_tokens", "provider", "params"};
const key_list k_split_keys = {"split", "by", "max_chars"};
const key_list k_reduce_keys = {"reduce", "after", "min_success"};

constexpr std::array<std::pair<std::string_view, reducer_kind>, 8> k_reducers = {{
    {"collect", reducer_kind::collect},
    {"concat", reducer_kind::concat},
    {"template", reducer_kind::template_text},
    {"vote", reducer_kind::vote},
    {"max", reducer_kind::max},
    {"min", reducer_kind::min},
    {"first", reducer_kind::first},
    {"llm", reducer_kind::llm},
}};

// A reducer's own keys besides reduce, after and min_success.
key_list reducer_keys(reducer_kind kind) {
  switch (kind) {
    case reducer_kind::template_text:
      return {"template"};
    case reducer_kind::concat:
      return {"separator"};
    case reducer_kind::vote:
      return {"quorum"};
    case reducer_kind::llm:
      return k_llm_step_keys;
    default:
      return {};
  }
}

std::string_view reducer_for_key(std::string_view key) {
  if (key == "template") return "template";
  if (key == "separator") return "concat";
  if (key == "quorum") return "vote";
  return has_key(k_llm_step_keys, key) ? "llm" : "";
}

bool is_field_path(std::string_view text) {
  std::size_t start = 0;
  while (true) {
    const auto dot = text.find('.', start);
    if (!is_identifier(text.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

void require(const YAML::Node& node, const std::string& field, std::string_view key,
             std::string_view purpose, yaml_reader& reader) {
  if (child(node, key)) return;
  const std::string key_field = join_field(field, key);
  reader.error_at(key_field, reader.where(field),
                  "missing required key '" + std::string(key) + "' (" + std::string(purpose) + ")");
}

void read_min_success(const YAML::Node& node, const std::string& field, node_spec& spec,
                      yaml_reader& reader) {
  if (const auto v = reader.read_int(node, field, "min_success", 1)) spec.min_success = *v;
}

void read_llm_step(const YAML::Node& node, const std::string& field, node_spec& spec,
                   const provider_spec& job_provider, yaml_reader& reader) {
  require(node, field, "prompt", "the text sent to the model", reader);
  if (const auto v = reader.read_string(node, field, "prompt")) spec.prompt = *v;
  if (const auto v = reader.read_string(node, field, "system")) spec.system = *v;
  if (const auto v = reader.read_number(node, field, "temperature", {0, false, 2})) {
    spec.temperature = *v;
  }
  if (const auto v = reader.read_int(node, field, "max_tokens", 1)) spec.max_tokens = *v;
  if (const auto v = reader.read_json_map(node, field, "params")) spec.params = *v;
  if (const auto provider = child(node, "provider")) {
    spec.provider = read_provider(*provider, join_field(field, "provider"), job_provider, reader);
  }
}

void read_llm_node(const YAML::Node& node, const std::string& field, node_spec& spec,
                   const provider_spec& job_provider, yaml_reader& reader) {
  spec.kind = node_kind::llm;
  reader.check_keys(node, field, k_llm_keys);
  read_llm_step(node, field, spec, job_provider, reader);
  if (const auto v = reader.read_int(node, field, "samples", 1)) spec.samples = *v;
  if (const auto v = reader.read_string(node, field, "foreach")) spec.foreach = *v;
  if (!spec.foreach.empty() && spec.samples > 1) {
    reader.error(join_field(field, "samples"),
                 "samples " + std::to_string(spec.samples) +
                     " cannot be combined with foreach (expected one call per chunk, or "
                     "several samples of one call)");
  }
  read_min_success(node, field, spec, reader);
  if (!spec.min_success) return;
  const std::string min_field = join_field(field, "min_success");
  if (spec.samples <= 1 && spec.foreach.empty()) {
    reader.error(min_field, "min_success applies only with samples > 1 or foreach");
  } else if (spec.samples > 1 && *spec.min_success > spec.samples) {
    reader.error(min_field, "min_success " + std::to_string(*spec.min_success) +
                                " is larger than the " + std::to_string(spec.samples) + " samples");
  }
}

void read_split_node(const YAML::Node& node, const std::string& field, node_spec& spec,
                     yaml_reader& reader) {
  spec.kind = node_kind::split;
  reader.check_keys(node, field, k_split_keys);
  if (const auto source = reader.read_string(node, field, "split")) {
    if (is_field_path(*source)) {
      spec.split_source = *source;
    } else {
      reader.error(
          join_field(field, "split"),
          "expected an input field (dotted allowed) or a node name, got '" + *source + "'");
    }
  }
  if (const auto by = reader.read_string(node, field, "by")) {
    if (*by == "paragraph") {
      spec.by = split_by::paragraph;
    } else if (*by == "sentence") {
      spec.by = split_by::sentence;
    } else if (*by == "chars") {
      spec.by = split_by::chars;
    } else {
      reader.error(join_field(field, "by"),
                   "expected paragraph, sentence or chars, got '" + *by + "'");
    }
  }
  if (const auto v = reader.read_int(node, field, "max_chars", 0)) {
    spec.max_chars = static_cast<std::size_t>(*v);
  }
  if (spec.by == split_by::chars && spec.max_chars == 0) {
    reader.error(join_field(field, child(node, "max_chars") ? "max_chars" : "by"),
                 "by: chars needs max_chars greater than 0");
  }
}

void check_reduce_keys(const YAML::Node& node, const std::string& field,
                       std::optional<reducer_kind> kind, std::string_view reducer_name,
                       yaml_reader& reader) {
  key_list allowed = k_reduce_keys;
  if (kind) {
    const key_list own = reducer_keys(*kind);
    allowed.insert(allowed.end(), own.begin(), own.end());
  }
  for (const auto& key : reader.keys(node, field)) {
    if (has_key(allowed, key)) continue;
    const std::string key_field = join_field(field, key);
    const auto owner = reducer_for_key(key);
    if (owner.empty()) {
      reader.unknown_key(key_field, key, allowed);
    } else if (kind) {
      reader.error_at(key_field, reader.where_key(key_field),
                      "'" + key + "' is only for reduce: " + std::string(owner) +
                          ", not reduce: " + std::string(reducer_name));
    }
  }
}

void read_after(const YAML::Node& node, const std::string& field, node_spec& spec,
                yaml_reader& reader) {
  require(node, field, "after", "the nodes whose outputs this node merges", reader);
  const auto after = reader.read_string_list(node, field, "after");
  if (!after) return;
  const std::string after_field = join_field(field, "after");
  if (after->empty()) reader.error(after_field, "expected at least one node name");
  // Duplicates are kept (the job is rejected anyway) so that after[i] stays a valid place.
  for (std::size_t i = 0; i < after->size(); ++i) {
    const auto& name = (*after)[i];
    if (std::find(spec.after.begin(), spec.after.end(), name) != spec.after.end()) {
      reader.error(after_field + "[" + std::to_string(i) + "]",
                   "duplicate node '" + name + "' in after");
    }
    spec.after.push_back(name);
  }
}

void read_reduce_node(const YAML::Node& node, const std::string& field, node_spec& spec,
                      const provider_spec& job_provider, yaml_reader& reader) {
  spec.kind = node_kind::reduce;
  std::optional<reducer_kind> kind;
  std::string reducer_name = "llm";
  if (const auto name = reader.read_string(node, field, "reduce")) {
    reducer_name = *name;
    const auto found = std::find_if(k_reducers.begin(), k_reducers.end(),
                                    [&](const auto& entry) { return entry.first == *name; });
    if (found != k_reducers.end()) {
      kind = found->second;
    } else {
      reader.error(join_field(field, "reduce"),
                   "unknown reducer '" + *name +
                       "' (expected one of: collect, concat, template, vote, max, min, first, "
                       "llm)");
    }
  } else if (!child(node, "reduce")) {
    if (child(node, "prompt")) {
      kind = reducer_kind::llm;
    } else {
      reader.error(field,
                   "a node with after: needs reduce: (collect, concat, template, vote, max, min, "
                   "first, llm) or prompt: (an llm step over its inputs); expected reduce: or "
                   "prompt:");
    }
  }
  check_reduce_keys(node, field, kind, reducer_name, reader);
  read_after(node, field, spec, reader);
  read_min_success(node, field, spec, reader);
  if (!kind) return;
  spec.reduce = *kind;
  switch (*kind) {
    case reducer_kind::template_text:
      require(node, field, "template", "the text to render from the inputs", reader);
      if (const auto v = reader.read_string(node, field, "template")) spec.template_text = *v;
      break;
    case reducer_kind::concat:
      if (const auto v = reader.read_string(node, field, "separator")) spec.separator = *v;
      break;
    case reducer_kind::vote:
      if (const auto v = reader.read_int(node, field, "quorum", 1)) spec.quorum = *v;
      break;
    case reducer_kind::llm:
      read_llm_step(node, field, spec, job_provider, reader);
      break;
    default:
      break;
  }
}

}  // namespace

node_spec read_node(const std::string& name, const YAML::Node& node, const std::string& field,
                    const provider_spec& job_provider, yaml_reader& reader) {
  node_spec spec;
  spec.name = name;
  spec.where = reader.where_key(field);
  if (!is_identifier(name)) {
    reader.error_at(field, spec.where,
                    "node name '" + name +
                        "' is not a name (expected letters, digits and '_', "
                        "not starting with a digit)");
  } else if (name == "item" || name == "item_index" || name == "id") {
    reader.error_at(field, spec.where,
                    "node name '" + name + "' is reserved (item, item_index and id are taken)");
  }
  if (!node.IsMap()) {
    reader.error(field, "expected a map of node settings (prompt:, split: or after:), got " +
                            describe(node));
    return spec;
  }
  if (child(node, "split")) {
    read_split_node(node, field, spec, reader);
  } else if (child(node, "reduce") || child(node, "after")) {
    read_reduce_node(node, field, spec, job_provider, reader);
  } else {
    read_llm_node(node, field, spec, job_provider, reader);
  }
  return spec;
}

}  // namespace parallm::config
