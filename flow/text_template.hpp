#pragma once
// Prompt templates, parsed once per job and rendered for every call. The variable lookup is
// a template parameter so rendering costs no allocation beyond the output string.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace parallm::flow {

// How a value reads inside a prompt: a string as it is, a number or bool as its JSON text,
// null as nothing, a list as its elements separated by a blank line, an object as JSON.
void append_rendered(const nlohmann::json& value, std::string& out);

// Walks `value` through object keys; nullptr when a key is absent or a value is no object.
const nlohmann::json* find_path(const nlohmann::json& value, const std::vector<std::string>& keys);

// Walks an object by a dotted name ("doc.title"); nullptr when any step is missing.
const nlohmann::json* find_field(const nlohmann::json& object, std::string_view dotted_name);

class text_template {
 public:
  // A text that does not parse still gives a template: render() then fails and error() says why.
  static text_template parse(std::string_view text);

  // Distinct variable names (dotted as written), in first-use order.
  const std::vector<std::string>& variables() const { return variables_; }
  const std::string& error() const { return error_; }

  // Appends the rendered text to `out`. `lookup(std::string_view name)` returns the value of a
  // variable's first segment as `const nlohmann::json*`, nullptr when it has none. Returns
  // false with `missing` = the variable's full name when a variable has no value, or false
  // with `missing` empty when the template did not parse.
  template <class Lookup>
  bool render(const Lookup& lookup, std::string& out, std::string& missing) const {
    if (!error_.empty()) {
      missing.clear();
      return false;
    }
    out.reserve(out.size() + literal_size_ + 64 * variables_.size());
    for (const auto& piece : pieces_) {
      if (!piece.is_variable) {
        out += piece.text;
        continue;
      }
      const nlohmann::json* value = lookup(std::string_view(piece.text).substr(0, piece.head_size));
      if (value != nullptr && !piece.keys.empty()) value = find_path(*value, piece.keys);
      if (value == nullptr) {
        missing = piece.text;
        return false;
      }
      append_rendered(*value, out);
    }
    return true;
  }

 private:
  struct piece {
    bool is_variable = false;
    std::string text;               // literal text, or the full variable name
    std::size_t head_size = 0;      // length of the variable's first segment
    std::vector<std::string> keys;  // the segments after the first
  };

  std::vector<piece> pieces_;
  std::vector<std::string> variables_;
  std::string error_;
  std::size_t literal_size_ = 0;
};

}  // namespace parallm::flow
