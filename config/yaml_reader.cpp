#include "config/yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>

namespace parallm::config {
namespace {

std::optional<long long> parse_integer(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::optional<double> parse_number(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

std::string format_number(double value) {
  std::string text = nlohmann::json(value).dump();
  if (text.size() > 2 && text.ends_with(".0")) text.resize(text.size() - 2);
  return text;
}

std::string expectation(const char* noun, number_range range) {
  std::string text = std::string("expected ") + noun;
  if (range.max && range.min_exclusive) {
    return text + " greater than " + format_number(range.min) + " and at most " +
           format_number(*range.max);
  }
  if (range.max) {
    return text + " from " + format_number(range.min) + " to " + format_number(*range.max);
  }
  if (range.min_exclusive) return text + " greater than " + format_number(range.min);
  return text + " of at least " + format_number(range.min);
}

bool in_range(double value, number_range range) {
  if (range.min_exclusive ? value <= range.min : value < range.min) return false;
  return !range.max || value <= *range.max;
}

source_location location_of(const YAML::Mark& mark) {
  if (mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

bool has_key(const key_list& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::optional<YAML::Node> child(const YAML::Node& map, std::string_view key) {
  if (!map.IsMap()) return std::nullopt;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return it->second;
  }
  return std::nullopt;
}

std::string join_field(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return std::string(parent) + "." + std::string(key);
}

std::string join_names(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

bool is_identifier(std::string_view text) {
  const auto start = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  if (text.empty() || !start(text.front())) return false;
  return std::all_of(text.begin(), text.end(),
                     [&](char c) { return start(c) || (c >= '0' && c <= '9'); });
}

std::string describe(const YAML::Node& node) {
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  if (!node.IsScalar()) return "an empty value";
  constexpr std::size_t shown = 40;
  const std::string& text = node.Scalar();
  if (text.size() <= shown) return "'" + text + "'";
  return "'" + text.substr(0, shown) + "...'";
}

nlohmann::json to_json(const YAML::Node& node) {
  if (node.IsMap()) {
    auto object = nlohmann::json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
      object[it->first.Scalar()] = to_json(it->second);
    }
    return object;
  }
  if (node.IsSequence()) {
    auto array = nlohmann::json::array();
    for (const auto& element : node) array.push_back(to_json(element));
    return array;
  }
  if (!node.IsScalar()) return nullptr;
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;
  if (text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (const auto integer = parse_integer(text)) return *integer;
  if (const auto number = parse_number(text)) return *number;
  return text;
}

yaml_reader::yaml_reader(std::string file, diagnostics& out) : file_(std::move(file)), out_(out) {}

void yaml_reader::mark_overridden(const std::string& field) {
  overridden_.insert(field);
}

std::filesystem::path yaml_reader::resolve_path(const std::string& field,
                                                const std::string& text) const {
  const std::filesystem::path path(text);
  if (path.is_absolute()) return path;
  std::error_code ec;
  const std::filesystem::path job_file(file_);
  // A job's text read on a coordinator comes from a file on the client's host, named by its
  // absolute path: anchor there all the same.
  const bool from_job_file = !is_overridden(field) && !file_.empty() &&
                             (std::filesystem::is_regular_file(job_file, ec) ||
                              (!checks_files_ && job_file.is_absolute()));
  const auto base = from_job_file ? std::filesystem::absolute(job_file, ec).parent_path()
                                  : std::filesystem::current_path(ec);
  return base / path;
}

bool yaml_reader::is_overridden(const std::string& field) const {
  return std::any_of(overridden_.begin(), overridden_.end(), [&](const std::string& path) {
    return field == path || field.starts_with(path + ".") || field.starts_with(path + "[");
  });
}

void yaml_reader::remember(const std::string& field, const YAML::Node& node) {
  places_[field] = is_overridden(field) ? source_location{} : location_of(node.Mark());
}

source_location yaml_reader::where(const std::string& field) const {
  std::string path = field;
  while (true) {
    if (const auto found = places_.find(path); found != places_.end()) return found->second;
    if (path.empty()) return {};
    const auto cut = path.find_last_of(".[");
    path = cut == std::string::npos ? std::string() : path.substr(0, cut);
  }
}

void yaml_reader::error(const std::string& field, std::string message) {
  error_at(field, where(field), std::move(message));
}

void yaml_reader::error_at(const std::string& field, source_location at, std::string message) {
  // A value from the command line has no place in the job file: name where it came from.
  if (is_overridden(field)) {
    out_.push_back({"--set", 0, 0, field, std::move(message)});
    return;
  }
  out_.push_back({file_, at.line, at.column, field, std::move(message)});
}

bool yaml_reader::expect_map(const YAML::Node& node, const std::string& field) {
  remember(field, node);
  if (node.IsMap()) return true;
  error(field, "expected a map, got " + describe(node));
  return false;
}

std::vector<std::string> yaml_reader::keys(const YAML::Node& map, const std::string& field) {
  std::vector<std::string> names;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
    const std::string key_field = join_field(field, key);
    const auto key_place =
        is_overridden(key_field) ? source_location{} : location_of(it->first.Mark());
    if (!it->first.IsScalar()) {
      error_at(field, key_place, "expected a name as key, got " + describe(it->first));
    } else if (std::find(names.begin(), names.end(), key) != names.end()) {
      error_at(key_field, key_place, "duplicate key '" + key + "'");
    } else {
      names.push_back(key);
      remember(key_field, it->second);
      key_places_[key_field] = key_place;
    }
  }
  return names;
}

source_location yaml_reader::where_key(const std::string& field) const {
  const auto found = key_places_.find(field);
  return found == key_places_.end() ? where(field) : found->second;
}

void yaml_reader::unknown_key(const std::string& field, std::string_view key,
                              const key_list& allowed) {
  std::string message = "unknown key '" + std::string(key) + "'";
  const auto closest = std::min_element(allowed.begin(), allowed.end(), [&](auto a, auto b) {
    return edit_distance(key, a) < edit_distance(key, b);
  });
  if (closest != allowed.end() && edit_distance(key, *closest) <= 2) {
    message += "; did you mean '" + std::string(*closest) + "'?";
  }
  std::string names;
  for (const auto name : allowed) names += (names.empty() ? "" : ", ") + std::string(name);
  error_at(field, where_key(field), message + " (allowed keys: " + names + ")");
}

void yaml_reader::check_keys(const YAML::Node& map, const std::string& field,
                             const key_list& allowed) {
  for (const auto& key : keys(map, field)) {
    if (!has_key(allowed, key)) {
      unknown_key(join_field(field, key), key, allowed);
    }
  }
}

std::optional<std::string> yaml_reader::as_string(const YAML::Node& value,
                                                  const std::string& field) {
  if (value.IsScalar()) return value.Scalar();
  std::string message = "expected a string, got " + describe(value);
  // Unquoted text with ': ', '{' or '[' reads as YAML structure.
  if (is_overridden(field)) message += "; quote text values: --set '" + field + "=\"...\"'";
  error(field, std::move(message));
  return std::nullopt;
}

std::optional<double> yaml_reader::as_number(const YAML::Node& value, const std::string& field,
                                             number_range range) {
  const auto number = value.IsScalar() ? parse_number(value.Scalar()) : std::nullopt;
  if (!number) {
    error(field, "expected a number, got " + describe(value));
    return std::nullopt;
  }
  if (!in_range(*number, range)) {
    error(field, expectation("a number", range) + ", got " + describe(value));
    return std::nullopt;
  }
  return number;
}

std::optional<std::pair<YAML::Node, std::string>> yaml_reader::locate(const YAML::Node& map,
                                                                      const std::string& parent,
                                                                      std::string_view key) {
  auto value = child(map, key);
  if (!value) return std::nullopt;
  std::string field = join_field(parent, key);
  remember(field, *value);
  return std::pair{std::move(*value), std::move(field)};
}

std::optional<std::string> yaml_reader::read_string(const YAML::Node& map,
                                                    const std::string& parent,
                                                    std::string_view key) {
  const auto found = locate(map, parent, key);
  if (!found) return std::nullopt;
  const auto& [value, field] = *found;
  return as_string(value, field);
}

std::optional<int> yaml_reader::read_int(const YAML::Node& map, const std::string& parent,
                                         std::string_view key, int min, int max) {
  const auto found = locate(map, parent, key);
  if (!found) return std::nullopt;
  const auto& [value, field] = *found;
  const auto integer = value.IsScalar() ? parse_integer(value.Scalar()) : std::nullopt;
  if (!integer) {
    error(field, "expected an integer, got " + describe(value));
    return std::nullopt;
  }
  if (*integer < min) {
    error(field,
          "expected an integer of at least " + std::to_string(min) + ", got " + describe(value));
    return std::nullopt;
  }
  if (*integer > max) {
    error(field, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                     ", got " + describe(value));
    return std::nullopt;
  }
  return static_cast<int>(*integer);
}

std::optional<std::uint64_t> yaml_reader::read_unsigned(const YAML::Node& map,
                                                        const std::string& parent,
                                                        std::string_view key) {
  const auto found = locate(map, parent, key);
  if (!found) return std::nullopt;
  const auto& [value, field] = *found;
  std::uint64_t integer = 0;
  const std::string text = value.IsScalar() ? value.Scalar() : std::string();
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), integer);
  if (!value.IsScalar() || text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    error(field, "expected a non-negative integer, got " + describe(value));
    return std::nullopt;
  }
  return integer;
}

std::optional<double> yaml_reader::read_number(const YAML::Node& map, const std::string& parent,
                                               std::string_view key, number_range range) {
  const auto found = locate(map, parent, key);
  if (!found) return std::nullopt;
  const auto& [value, field] = *found;
  return as_number(value, field, range);
}

std::optional<bool> yaml_reader::read_bool(const YAML::Node& map, const std::string& parent,
                                           std::string_view key) {
  const auto found = locate(map, parent, key);
  if (!found) return std::nullopt;
  const auto& [value, field] = *found;
  const auto parsed = value.IsScalar() ? to_json(value) : nlohmann::json();
  if (!parsed.is_boolean()) {
    error(field, "expected true or false, got " + describe(value));
    return std::nullopt;
  }
  return parsed.get<bool>();
}

std::optional<std::vector<std::string>> yaml_reader::read_string_list(const YAML::Node& map,
                                                                      const std::string& parent,
                                                                      std::string_view key) {
  const auto found = locate(map, parent, key);
  if (!found) return std::nullopt;
  const auto& [value, field] = *found;
  if (!value.IsSequence()) {
    error(field, "expected a list of strings, got " + describe(value));
    return std::nullopt;
  }
  std::vector<std::string> strings;
  bool all_valid = true;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string element_field = field + "[" + std::to_string(i) + "]";
    remember(element_field, (value)[i]);
    if (const auto text = as_string((value)[i], element_field)) {
      strings.push_back(*text);
    } else {
      all_valid = false;
    }
  }
  if (!all_valid) return std::nullopt;
  return strings;
}

std::optional<std::vector<double>> yaml_reader::read_number_list(const YAML::Node& map,
                                                                 const std::string& parent,
                                                                 std::string_view key,
                                                                 number_range range) {
  const auto found = locate(map, parent, key);
  if (!found) return std::nullopt;
  const auto& [value, field] = *found;
  if (!value.IsSequence()) {
    error(field, "expected a list of numbers, got " + describe(value));
    return std::nullopt;
  }
  std::vector<double> numbers;
  bool all_valid = true;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string element_field = field + "[" + std::to_string(i) + "]";
    remember(element_field, (value)[i]);
    if (const auto number = as_number((value)[i], element_field, range)) {
      numbers.push_back(*number);
    } else {
      all_valid = false;
    }
  }
  if (!all_valid) return std::nullopt;
  return numbers;
}

std::optional<nlohmann::json> yaml_reader::read_json_map(const YAML::Node& map,
                                                         const std::string& parent,
                                                         std::string_view key) {
  const auto found = locate(map, parent, key);
  if (!found) return std::nullopt;
  const auto& [value, field] = *found;
  if (!value.IsMap()) {
    error(field, "expected a map, got " + describe(value));
    return std::nullopt;
  }
  return to_json(value);
}

}  // namespace parallm::config
