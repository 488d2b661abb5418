#include "flow/text_template.hpp"

#include <charconv>
#include <cstdint>

#include "config/template_syntax.hpp"

namespace parallm::flow {
namespace {

std::string dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

template <class Integer>
void append_integer(std::string& out, Integer value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

}  // namespace

void append_rendered(const nlohmann::json& value, std::string& out) {
  switch (value.type()) {
    case nlohmann::json::value_t::string:
      out += value.get_ref<const std::string&>();
      return;
    case nlohmann::json::value_t::null:
      return;
    // Integers as dump() writes them, without its serializer: they are the common variables
    // after strings, rendered once per call.
    case nlohmann::json::value_t::number_unsigned:
      append_integer(out, value.get<std::uint64_t>());
      return;
    case nlohmann::json::value_t::number_integer:
      append_integer(out, value.get<std::int64_t>());
      return;
    case nlohmann::json::value_t::array: {
      bool first = true;
      for (const auto& element : value) {
        if (!first) out += "\n\n";
        first = false;
        if (element.is_string()) {
          out += element.get_ref<const std::string&>();
        } else {
          out += dump(element);
        }
      }
      return;
    }
    default:
      out += dump(value);
  }
}

const nlohmann::json* find_path(const nlohmann::json& value, const std::vector<std::string>& keys) {
  const nlohmann::json* current = &value;
  for (const auto& key : keys) {
    if (!current->is_object()) return nullptr;
    const auto it = current->find(key);
    if (it == current->end()) return nullptr;
    current = &*it;
  }
  return current;
}

const nlohmann::json* find_field(const nlohmann::json& object, std::string_view dotted_name) {
  const nlohmann::json* current = &object;
  while (true) {
    const auto dot = dotted_name.find('.');
    const auto key = dotted_name.substr(0, dot);
    if (!current->is_object()) return nullptr;
    const auto it = current->find(key);
    if (it == current->end()) return nullptr;
    current = &*it;
    if (dot == std::string_view::npos) return current;
    dotted_name.remove_prefix(dot + 1);
  }
}

text_template text_template::parse(std::string_view text) {
  text_template result;
  auto parsed = config::parse_template(text);
  if (!parsed.error.empty()) {
    result.error_ = std::move(parsed.error);
    return result;
  }
  result.variables_ = config::template_variables(parsed.pieces);
  result.pieces_.reserve(parsed.pieces.size());
  for (auto& source : parsed.pieces) {
    piece p;
    p.is_variable = source.is_variable;
    p.text = std::move(source.text);
    if (!p.is_variable) {
      result.literal_size_ += p.text.size();
    } else {
      std::string_view name = p.text;
      auto dot = name.find('.');
      p.head_size = dot == std::string_view::npos ? name.size() : dot;
      while (dot != std::string_view::npos) {
        name.remove_prefix(dot + 1);
        dot = name.find('.');
        p.keys.emplace_back(name.substr(0, dot));
      }
    }
    result.pieces_.push_back(std::move(p));
  }
  return result;
}

}  // namespace parallm::flow
