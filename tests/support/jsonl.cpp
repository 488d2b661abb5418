#include "support/jsonl.hpp"

#include <stdexcept>

#include "support/process.hpp"

namespace parallm::test {

std::vector<nlohmann::json> parse_jsonl(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) throw std::runtime_error("last line has no newline");
    const auto line = text.substr(pos, end - pos);
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
    pos = end + 1;
  }
  return lines;
}

std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path) {
  return parse_jsonl(read_file(path));
}

std::string id_key(const nlohmann::json& line) {
  const auto& id = line.at("id");
  if (id.is_string()) return id.get<std::string>();
  if (id.is_null()) return "line " + line.at("line").dump();
  return id.dump();
}

std::map<std::string, nlohmann::json> by_id(const std::vector<nlohmann::json>& lines) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& line : lines) {
    const auto id = id_key(line);
    if (!out.emplace(id, line).second) throw std::runtime_error("id twice in output: " + id);
  }
  return out;
}

std::vector<std::string> input_ids(const std::filesystem::path& input) {
  std::vector<std::string> ids;
  for (const auto& line : read_jsonl(input)) {
    const auto& id = line.at("id");
    ids.push_back(id.is_string() ? id.get<std::string>() : id.dump());
  }
  return ids;
}

}  // namespace parallm::test
