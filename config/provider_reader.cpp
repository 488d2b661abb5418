#include "config/provider_reader.hpp"

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "config/url_credentials.hpp"

namespace parallm::config {
namespace {

const key_list k_common_keys = {"kind", "model", "params"};
const key_list k_http_keys = {"base_url", "api_key_env", "require_content", "ca_file"};
const key_list k_anthropic_keys = {"anthropic_version"};
const key_list k_openai_keys = {"supports_n"};
const key_list k_sim_keys = {"latency_ms", "jitter_ms", "fail_rate", "fail_status",
                             "choices",    "weights",   "seed"};

key_list allowed_keys(provider_kind kind) {
  key_list keys = k_common_keys;
  const auto add = [&](const key_list& more) { keys.insert(keys.end(), more.begin(), more.end()); };
  if (kind == provider_kind::sim) add(k_sim_keys);
  if (kind != provider_kind::sim) add(k_http_keys);
  if (kind == provider_kind::anthropic) add(k_anthropic_keys);
  if (kind == provider_kind::openai) add(k_openai_keys);
  return keys;
}

void check_provider_keys(const YAML::Node& map, const std::string& field, provider_kind kind,
                         yaml_reader& reader) {
  const key_list allowed = allowed_keys(kind);
  for (const auto& key : reader.keys(map, field)) {
    const std::string key_field = join_field(field, key);
    if (has_key(allowed, key)) continue;
    if (has_key(k_sim_keys, key)) {
      reader.error_at(key_field, reader.where_key(key_field),
                      "'" + key + "' is only for kind: sim, not kind: " + provider_kind_name(kind));
    } else if (has_key(k_http_keys, key)) {
      reader.error_at(key_field, reader.where_key(key_field),
                      "'" + key + "' is only for kind: openai or anthropic, not kind: sim");
    } else if (has_key(k_anthropic_keys, key)) {
      reader.error_at(
          key_field, reader.where_key(key_field),
          "'" + key + "' is only for kind: anthropic, not kind: " + provider_kind_name(kind));
    } else if (has_key(k_openai_keys, key)) {
      reader.error_at(
          key_field, reader.where_key(key_field),
          "'" + key + "' is only for kind: openai, not kind: " + provider_kind_name(kind));
    } else {
      reader.unknown_key(key_field, key, allowed);
    }
  }
}

void read_http_fields(const YAML::Node& map, const std::string& field, provider_spec& spec,
                      yaml_reader& reader) {
  if (auto url = reader.read_string(map, field, "base_url")) {
    const bool has_scheme = url->starts_with("http://") || url->starts_with("https://");
    while (url->ends_with('/')) url->pop_back();
    if (!has_scheme || url->ends_with(':')) {
      reader.error(
          join_field(field, "base_url"),
          "expected a URL starting with http:// or https://, got '" + without_password(*url) + "'");
    } else {
      spec.base_url = *url;
    }
  }
  if (const auto name = reader.read_string(map, field, "api_key_env")) {
    if (is_identifier(*name)) {
      spec.api_key_env = *name;
    } else {
      // The value is never echoed: it is most likely the secret key itself.
      reader.error(join_field(field, "api_key_env"),
                   "api_key_env must name an environment variable, not hold a key (expected a "
                   "name such as OPENAI_API_KEY: letters, digits and '_')");
    }
  }
  if (const auto version = reader.read_string(map, field, "anthropic_version")) {
    spec.anthropic_version = *version;
  }
  if (const auto n = reader.read_bool(map, field, "supports_n")) spec.supports_n = *n;
  if (const auto r = reader.read_bool(map, field, "require_content")) spec.require_content = *r;
  if (const auto text = reader.read_string(map, field, "ca_file")) {
    const auto ca_field = join_field(field, "ca_file");
    const auto path = reader.resolve_path(ca_field, *text);
    std::error_code ec;
    if (text->empty()) {
      reader.error(ca_field, "expected the path of a PEM file of CA certificates, got ''");
    } else if (reader.checks_files() && !std::filesystem::is_regular_file(path, ec)) {
      reader.error(ca_field, "no such file: " + path.string());
    } else {
      spec.ca_file = path.string();
    }
  }
}

void read_sim_fields(const YAML::Node& map, const std::string& field, sim_options& sim,
                     yaml_reader& reader) {
  // An hour: far beyond any test, far from overflowing a duration.
  constexpr number_range milliseconds{0, false, 3600e3};
  if (const auto v = reader.read_number(map, field, "latency_ms", milliseconds)) {
    sim.latency_ms = *v;
  }
  if (const auto v = reader.read_number(map, field, "jitter_ms", milliseconds)) sim.jitter_ms = *v;
  if (const auto v = reader.read_number(map, field, "fail_rate", {0, false, 1})) {
    sim.fail_rate = *v;
  }
  if (const auto status = reader.read_string(map, field, "fail_status")) {
    if (*status == "429") {
      sim.fail_status = sim_failure::http_429;
    } else if (*status == "500") {
      sim.fail_status = sim_failure::http_500;
    } else if (*status == "timeout") {
      sim.fail_status = sim_failure::timeout;
    } else {
      reader.error(join_field(field, "fail_status"),
                   "expected 429, 500 or timeout, got '" + *status + "'");
    }
  }
  if (const auto seed = reader.read_unsigned(map, field, "seed")) sim.seed = *seed;
  const auto choices = reader.read_string_list(map, field, "choices");
  const auto weights = reader.read_number_list(map, field, "weights", {});
  if (choices) sim.choices = *choices;
  if (weights) sim.weights = *weights;
  if (!choices && !weights) return;
  const std::string weights_field = join_field(field, "weights");
  if (!sim.weights.empty() && sim.weights.size() != sim.choices.size()) {
    reader.error(weights_field,
                 "expected one weight per choice: " + std::to_string(sim.weights.size()) +
                     " weights for " + std::to_string(sim.choices.size()) + " choices");
  } else if (weights && !weights->empty() &&
             std::accumulate(weights->begin(), weights->end(), 0.0) <= 0) {
    reader.error(weights_field, "expected weights that sum to more than 0");
  }
}

}  // namespace

std::optional<provider_kind> parse_provider_kind(const std::string& text) {
  if (text == "sim") return provider_kind::sim;
  if (text == "openai") return provider_kind::openai;
  if (text == "anthropic") return provider_kind::anthropic;
  return std::nullopt;
}

const char* provider_kind_name(provider_kind kind) {
  switch (kind) {
    case provider_kind::sim:
      return "sim";
    case provider_kind::openai:
      return "openai";
    case provider_kind::anthropic:
      return "anthropic";
  }
  return "sim";
}

bool belongs_to_other_kind(std::string_view key, provider_kind kind) {
  if (has_key(allowed_keys(kind), key)) return false;
  return has_key(k_sim_keys, key) || has_key(k_http_keys, key) || has_key(k_anthropic_keys, key) ||
         has_key(k_openai_keys, key);
}

provider_spec default_provider(provider_kind kind) {
  provider_spec spec;
  spec.kind = kind;
  switch (kind) {
    case provider_kind::sim:
      spec.model = "sim";
      break;
    case provider_kind::openai:
      spec.base_url = "https://api.openai.com/v1";
      spec.api_key_env = "OPENAI_API_KEY";
      break;
    case provider_kind::anthropic:
      spec.base_url = "https://api.anthropic.com/v1";
      spec.api_key_env = "ANTHROPIC_API_KEY";
      spec.anthropic_version = "2023-06-01";
      break;
  }
  return spec;
}

provider_spec read_provider(const YAML::Node& node, const std::string& field,
                            const provider_spec& base, yaml_reader& reader) {
  if (!reader.expect_map(node, field)) return base;
  provider_spec spec = base;
  bool from_defaults = false;
  if (const auto text = reader.read_string(node, field, "kind")) {
    if (const auto kind = parse_provider_kind(*text)) {
      if (*kind != base.kind) {
        spec = default_provider(*kind);
        from_defaults = true;
      }
    } else {
      reader.error(join_field(field, "kind"),
                   "unknown provider kind '" + *text + "' (expected sim, openai or anthropic)");
    }
  }
  check_provider_keys(node, field, spec.kind, reader);
  if (const auto model = reader.read_string(node, field, "model")) spec.model = *model;
  if (const auto params = reader.read_json_map(node, field, "params")) spec.params = *params;
  if (spec.kind == provider_kind::sim) {
    read_sim_fields(node, field, spec.sim, reader);
    return spec;
  }
  read_http_fields(node, field, spec, reader);
  if (spec.model.empty() && child(node, "model")) {
    reader.error(join_field(field, "model"), "expected a model name, got an empty string");
  } else if (spec.model.empty() && from_defaults) {
    reader.error(join_field(field, "model"),
                 std::string("missing required key 'model' for kind: ") +
                     provider_kind_name(spec.kind) +
                     " (the model name the endpoint serves, e.g. gpt-4o-mini)");
  }
  return spec;
}

}  // namespace parallm::config
