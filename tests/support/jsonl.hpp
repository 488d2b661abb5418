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

// How by_id keys a line: a string id as it is, a number as its decimal text (so 7 and "7"
// share a key: a test that tells them apart looks at the line), a null id as "line N".
std::string id_key(const nlohmann::json& line);

// Output lines by id_key; throws if a key appears twice.
std::map<std::string, nlohmann::json> by_id(const std::vector<nlohmann::json>& lines);

// The "id" of every non-empty input line, in order.
std::vector<std::string> input_ids(const std::filesystem::path& input);

}  // namespace parallm::test
