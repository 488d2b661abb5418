#pragma once
// Reading parallm's output back in tests: one JSON object per line, keyed by id.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace parallm::test {

// Every line parsed; a line that is not JSON fails the calling test via an exception.
std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path);
std::vector<nlohmann::json> parse_jsonl(const std::string& text);

// Output lines by id; throws if an id appears twice.
std::map<std::string, nlohmann::json> by_id(const std::vector<nlohmann::json>& lines);

// The "id" of every non-empty input line, in order.
std::vector<std::string> input_ids(const std::filesystem::path& input);

}  // namespace parallm::test
