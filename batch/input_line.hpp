#pragma once
// One input line turned into an item: its id and its fields, or the reason it cannot run.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace parallm::batch {

struct input_item {
  std::uint64_t line = 0;  // 1-based
  // "id", else "custom_id" (a string as is, an integer in decimal), else the line number.
  std::string id;
  nlohmann::json fields;  // the line's object: the item's template variables
  // Empty for a good item. Otherwise "line 7: ..." and the item is to be written as failed;
  // id is then the line number unless the line had a usable id.
  std::string error;
};

// nullopt for an empty or whitespace-only line, which is not an item.
std::optional<input_item> parse_input_line(std::string_view text, std::uint64_t line);

}  // namespace parallm::batch
