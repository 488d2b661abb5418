#pragma once
// Writing JSON by hand for the per-item output line, which is built millions of times.
// Model output may hold bytes that are not UTF-8; they become U+FFFD instead of throwing.

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace parallm::flow {

// Appends `text` as a quoted JSON string.
void append_json_string(std::string& out, std::string_view text);

// Appends any value as compact JSON.
void append_json(std::string& out, const nlohmann::json& value);

void append_json_number(std::string& out, std::uint64_t value);

// The value dumped as compact JSON, invalid UTF-8 replaced.
std::string to_json_text(const nlohmann::json& value);

}  // namespace parallm::flow
