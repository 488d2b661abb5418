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
  // "id", else "custom_id", as the JSON text it is written into the output line with: a
  // number as 7, a string quoted and escaped as "7" (canonically, so equal ids have equal
  // texts). Empty when the line has no id or no readable one: the item is then known by its
  // line alone and written with "id": null.
  std::string id;
  nlohmann::json fields;  // the line's object: the item's template variables
  // Empty for a good item. Otherwise "line 7: ..." and the item is to be written as failed.
  std::string error;
};

// nullopt for an empty or whitespace-only line, which is not an item.
std::optional<input_item> parse_input_line(std::string_view text, std::uint64_t line);

// The id as JSON text (see input_item::id) of an "id" value; nullopt unless it is a string
// or an integer.
std::optional<std::string> id_text(const nlohmann::json& id);

// Why a line whose id an earlier line already had cannot run, without the "line N: " prefix:
// `duplicate id "a" (first on line 3)`. first_line 0: the earlier line is not known.
std::string duplicate_id_error(std::string_view id, std::uint64_t first_line);

}  // namespace parallm::batch
