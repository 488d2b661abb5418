#include "batch/input_line.hpp"

#include "batch/json_line_text.hpp"

namespace parallm::batch {
namespace {

// "an array", "a string", "null": how the error names what the line holds instead.
std::string describe_type(const nlohmann::json& value) {
  if (value.is_null()) return "null";
  const std::string name = value.type_name();
  return (value.is_array() ? "an " : "a ") + name;
}

}  // namespace

std::optional<input_item> parse_input_line(std::string_view text, std::uint64_t line) {
  if (is_blank(text)) return std::nullopt;
  input_item item;
  item.line = line;
  // Built only on the error paths: the common path must stay cheap.
  const auto prefix = [line] { return "line " + std::to_string(line) + ": "; };
  try {
    item.fields = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    item.id = std::to_string(line);
    item.error = prefix() + "not a JSON object (" + without_exception_tag(e.what()) + ")";
    return item;
  }
  if (!item.fields.is_object()) {
    item.id = std::to_string(line);
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
  if (found == item.fields.end()) {
    item.id = std::to_string(line);
  } else if (found->is_string()) {
    item.id = found->get_ref<const std::string&>();
  } else if (found->is_number_unsigned()) {
    item.id = std::to_string(found->get<std::uint64_t>());
  } else if (found->is_number_integer()) {
    item.id = std::to_string(found->get<std::int64_t>());
  } else {
    item.id = std::to_string(line);
    item.error = prefix() + "field '" + key + "' must be a string or an integer";
  }
  return item;
}

}  // namespace parallm::batch
