#include "batch/input_line.hpp"

#include "batch/flat_json_object.hpp"
#include "batch/json_line_text.hpp"
#include "batch/json_nesting.hpp"

namespace parallm::batch {
namespace {

// "an array", "a string", "null": how the error names what the line holds instead.
std::string describe_type(const nlohmann::json& value) {
  if (value.is_null()) return "null";
  const std::string name = value.type_name();
  return (value.is_array() ? "an " : "a ") + name;
}

}  // namespace

std::optional<std::string> id_text(const nlohmann::json& id) {
  if (id.is_string()) {
    return id.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  if (id.is_number_unsigned()) return std::to_string(id.get<std::uint64_t>());
  if (id.is_number_integer()) return std::to_string(id.get<std::int64_t>());
  return std::nullopt;
}

std::string duplicate_id_error(std::string_view id, std::uint64_t first_line) {
  std::string error = "duplicate id ";
  error += id;
  if (first_line > 0) error += " (first on line " + std::to_string(first_line) + ")";
  return error;
}

std::optional<input_item> parse_input_line(std::string_view text, std::uint64_t line) {
  if (is_blank(text)) return std::nullopt;
  input_item item;
  item.line = line;
  // Built only on the error paths: the common path must stay cheap.
  const auto prefix = [line] { return "line " + std::to_string(line) + ": "; };
  // A flat object nests one level: only what the fast path leaves needs the depth check.
  auto flat = parse_flat_json_object(text);
  if (!flat && nests_deeper_than(text, max_json_nesting)) {
    item.error = prefix() + std::string(too_deep_reason);
    item.fields = nlohmann::json::object();
    return item;
  }
  try {
    if (flat) {
      item.fields = std::move(*flat);
    } else {
      item.fields = nlohmann::json::parse(text);
    }
  } catch (const nlohmann::json::exception& e) {
    item.error = prefix() + "not a JSON object (" + without_exception_tag(e.what()) + ")";
    return item;
  }
  if (!item.fields.is_object()) {
    item.error = prefix() + "expected a JSON object, got " + describe_type(item.fields);
    item.fields = nlohmann::json::object();
    return item;
  }
  const char* key = "id";
  auto found = item.fields.find(key);
  if (found == item.fields.end()) {
    key = "custom_id";
    found = item.fields.find(key);
  }
  if (found == item.fields.end()) return item;
  if (auto id = id_text(*found)) {
    item.id = std::move(*id);
  } else {
    item.error = prefix() + "field '" + key + "' must be a string or an integer";
  }
  return item;
}

}  // namespace parallm::batch
