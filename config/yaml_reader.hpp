#pragma once
// Typed, located reads from a yaml-cpp tree. Every problem becomes a diagnostic at the dotted
// field it concerns; a read that fails yields nullopt so callers keep their defaults and go on
// collecting errors.

#include <climits>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "config/diagnostic.hpp"
#include "config/job.hpp"

namespace parallm::config {

using key_list = std::vector<std::string_view>;

bool has_key(const key_list& keys, std::string_view key);

// "nodes" + "poem" -> "nodes.poem"; "" + "limits" -> "limits".
std::string join_field(std::string_view parent, std::string_view key);

// "a, b, c"
std::string join_names(const std::vector<std::string>& names);

// [A-Za-z_][A-Za-z0-9_]*
bool is_identifier(std::string_view text);

// map[key] when map is a map holding key; yaml-cpp's operator[] would throw on scalars.
std::optional<YAML::Node> child(const YAML::Node& map, std::string_view key);

// How a value looks in a message: 'abc', a list, a map, an empty value.
std::string describe(const YAML::Node& node);

// Any YAML value as JSON: plain scalars become null, booleans or numbers when they read as
// such, everything quoted stays a string.
nlohmann::json to_json(const YAML::Node& node);

// An inclusive lower bound with an optional upper bound or exclusive lower bound.
struct number_range {
  double min = 0;
  bool min_exclusive = false;
  std::optional<double> max;
};

class yaml_reader {
 public:
  yaml_reader(std::string file, diagnostics& out);

  // Values set with --set have no line in the job file.
  void mark_overridden(const std::string& field);

  void remember(const std::string& field, const YAML::Node& node);
  // map[key] with its dotted field name, remembered for later diagnostics; nullopt if absent.
  std::optional<std::pair<YAML::Node, std::string>> locate(const YAML::Node& map,
                                                           const std::string& parent,
                                                           std::string_view key);
  // The remembered place of field, else of its nearest remembered parent.
  source_location where(const std::string& field) const;

  void error(const std::string& field, std::string message);
  void error_at(const std::string& field, source_location at, std::string message);
  std::size_t error_count() const { return out_.size(); }

  // False (with a diagnostic) unless node is a map; remembers the map and each key's value.
  bool expect_map(const YAML::Node& node, const std::string& field);
  // The keys of a map in document order; duplicates are reported.
  std::vector<std::string> keys(const YAML::Node& map, const std::string& field);
  // Where the key of field was written, for errors about the key itself.
  source_location where_key(const std::string& field) const;
  void unknown_key(const std::string& field, std::string_view key, const key_list& allowed);
  // Reports every key of map not in allowed.
  void check_keys(const YAML::Node& map, const std::string& field, const key_list& allowed);

  // Reads of map[key] at field "parent.key": nullopt when absent or invalid (reported).
  std::optional<std::string> read_string(const YAML::Node& map, const std::string& parent,
                                         std::string_view key);
  std::optional<int> read_int(const YAML::Node& map, const std::string& parent,
                              std::string_view key, int min, int max = INT_MAX);
  std::optional<std::uint64_t> read_unsigned(const YAML::Node& map, const std::string& parent,
                                             std::string_view key);
  std::optional<double> read_number(const YAML::Node& map, const std::string& parent,
                                    std::string_view key, number_range range);
  std::optional<std::vector<std::string>> read_string_list(const YAML::Node& map,
                                                           const std::string& parent,
                                                           std::string_view key);
  std::optional<std::vector<double>> read_number_list(const YAML::Node& map,
                                                      const std::string& parent,
                                                      std::string_view key, number_range range);
  std::optional<bool> read_bool(const YAML::Node& map, const std::string& parent,
                                std::string_view key);
  std::optional<nlohmann::json> read_json_map(const YAML::Node& map, const std::string& parent,
                                              std::string_view key);

  // A path read at field, made absolute: relative to the job file's directory when it was
  // written there, to the current directory when it came from --set or a job without a file.
  std::filesystem::path resolve_path(const std::string& field, const std::string& text) const;
  // Whether the files a job names are on this host, to be checked (not on a coordinator,
  // which reads a job for workers that open its files on theirs).
  bool checks_files() const { return checks_files_; }
  void set_checks_files(bool on) { checks_files_ = on; }

  std::optional<std::string> as_string(const YAML::Node& value, const std::string& field);
  std::optional<double> as_number(const YAML::Node& value, const std::string& field,
                                  number_range range);

 private:
  bool is_overridden(const std::string& field) const;

  std::string file_;
  bool checks_files_ = true;
  diagnostics& out_;
  std::set<std::string> overridden_;
  std::map<std::string, source_location> places_;
  std::map<std::string, source_location> key_places_;
};

}  // namespace parallm::config
