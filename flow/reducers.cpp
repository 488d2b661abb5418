#include "flow/reducers.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "flow/json_text.hpp"

namespace parallm::flow {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The branch's output as text: strings as they are, other values as JSON.
std::string branch_text(const branch& b) {
  return b.output.is_string() ? b.output.get<std::string>() : to_json_text(b.output);
}

std::string normalize(std::string_view answer) {
  std::string key;
  key.reserve(answer.size());
  bool in_space = false;
  for (const char c : answer) {
    if (is_space(c)) {
      in_space = true;
      continue;
    }
    if (in_space && !key.empty()) key += ' ';
    in_space = false;
    key += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return key;
}

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || std::isnan(value)) {
    return std::nullopt;
  }
  return value;
}

reduce_outcome failure(std::string error) {
  reduce_outcome outcome;
  outcome.error = std::move(error);
  return outcome;
}

reduce_outcome success(nlohmann::json output) {
  reduce_outcome outcome;
  outcome.ok = true;
  outcome.output = std::move(output);
  return outcome;
}

std::string count_votes(int count) {
  return std::to_string(count) + (count == 1 ? " vote" : " votes");
}

reduce_outcome reduce_extreme(std::vector<branch>& branches, bool want_max) {
  std::optional<double> best;
  std::string best_text;
  for (auto& b : branches) {
    if (!b.ok) continue;
    const auto text = branch_text(b);
    const auto trimmed = trim(text);
    const auto value = parse_number(trimmed);
    if (!value) {
      b.ok = false;
      b.error = "not a number: '" + std::string(trimmed) + "'";
      continue;
    }
    if (!best || (want_max ? *value > *best : *value < *best)) {
      best = value;
      best_text = trimmed;
    }
  }
  if (!best) return failure("no branch gave a number");
  return success(std::move(best_text));
}

}  // namespace

nlohmann::json reduce_collect(const std::vector<named_output>& after) {
  auto collected = nlohmann::json::object();
  for (const auto& node : after) {
    collected[std::string(node.name)] = node.output != nullptr ? *node.output : nullptr;
  }
  return collected;
}

std::string reduce_concat(const std::vector<branch>& branches, std::string_view separator) {
  std::string joined;
  bool first = true;
  for (const auto& b : branches) {
    if (!b.ok) continue;
    if (!first) joined += separator;
    first = false;
    if (b.output.is_string()) {
      joined += b.output.get_ref<const std::string&>();
    } else {
      append_json(joined, b.output);
    }
  }
  return joined;
}

reduce_outcome reduce_template(const text_template& text, const std::vector<named_output>& after,
                               const nlohmann::json& fields) {
  static const nlohmann::json empty_text = "";
  const auto lookup = [&](std::string_view name) -> const nlohmann::json* {
    for (const auto& node : after) {
      if (node.name == name) return node.output != nullptr ? node.output : &empty_text;
    }
    return fields.is_object() ? find_field(fields, name) : nullptr;
  };
  std::string rendered;
  std::string missing;
  if (!text.render(lookup, rendered, missing)) {
    return failure(missing.empty() ? "bad template: " + text.error()
                                   : "missing template variable '" + missing + "'");
  }
  return success(std::move(rendered));
}

reduce_outcome reduce_vote(std::vector<branch>& branches, int quorum) {
  struct tally {
    std::string answer;
    int count = 0;
    std::string original;
  };
  std::vector<tally> tallies;
  for (auto& b : branches) {
    if (!b.ok) continue;
    const auto text = branch_text(b);
    const auto trimmed = trim(text);
    if (trimmed.empty()) {
      b.ok = false;
      b.error = "empty answer";
      continue;
    }
    auto key = normalize(trimmed);
    const auto it = std::find_if(tallies.begin(), tallies.end(),
                                 [&](const tally& t) { return t.answer == key; });
    if (it != tallies.end()) {
      ++it->count;
    } else {
      tallies.push_back({std::move(key), 1, std::string(trimmed)});
    }
  }
  if (tallies.empty()) return failure("no answers to vote on");

  std::stable_sort(tallies.begin(), tallies.end(),
                   [](const tally& a, const tally& b) { return a.count > b.count; });
  const auto& winner = tallies.front();
  auto outcome = success(winner.original);
  for (const auto& t : tallies) outcome.votes.emplace_back(t.answer, t.count);
  if (quorum > 0 && winner.count < quorum) {
    outcome.ok = false;
    outcome.output = nullptr;
    outcome.error = "no quorum: '" + winner.answer + "' has " + count_votes(winner.count) +
                    ", quorum is " + std::to_string(quorum) + " (votes: ";
    for (std::size_t i = 0; i < tallies.size(); ++i) {
      if (i > 0) outcome.error += ", ";
      outcome.error += tallies[i].answer + " " + std::to_string(tallies[i].count);
    }
    outcome.error += ")";
  }
  return outcome;
}

reduce_outcome reduce_max(std::vector<branch>& branches) {
  return reduce_extreme(branches, true);
}

reduce_outcome reduce_min(std::vector<branch>& branches) {
  return reduce_extreme(branches, false);
}

reduce_outcome reduce_first(const std::vector<branch>& branches) {
  for (const auto& b : branches) {
    if (b.ok) return success(b.output);
  }
  return failure("no branch succeeded");
}

}  // namespace parallm::flow
