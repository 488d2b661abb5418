#include "nodes/wire_convert.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "actors/messages.hpp"

namespace parallm::nodes {

namespace {

wire_task to_wire(actors::task t) {
  return {t.key,     t.attempt,           t.generation,        t.profile,
          t.element, std::move(t.prompt), std::move(t.system), t.count};
}

actors::task from_wire(wire_task t) {
  return {t.key,     t.attempt,           t.generation,        t.profile,
          t.element, std::move(t.prompt), std::move(t.system), t.count};
}

std::optional<convert_error> check(const wire_task& t, const profile_counts& profiles) {
  const auto it = profiles.find(t.key.batch);
  if (it == profiles.end()) return convert_error::unknown_batch;
  if (t.profile >= it->second) return convert_error::profile_out_of_range;
  if (t.count == 0) return convert_error::zero_count;
  if (t.attempt == 0) return convert_error::zero_attempt;
  return std::nullopt;
}

wire_result to_wire(actors::attempt_result r) {
  return {r.key, r.attempt, r.generation, std::move(r.outcome), r.latency_ms, r.rate};
}

actors::attempt_result from_wire(wire_result r) {
  return {r.key, r.attempt, r.generation, std::move(r.outcome), r.latency_ms, r.rate};
}

std::optional<convert_error> check(const wire_result& r) {
  if (r.attempt == 0) return convert_error::zero_attempt;
  if (r.latency_ms < 0) return convert_error::negative_latency;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(convert_error e) {
  switch (e) {
    case convert_error::unknown_batch:
      return "unknown_batch";
    case convert_error::profile_out_of_range:
      return "profile_out_of_range";
    case convert_error::zero_count:
      return "zero_count";
    case convert_error::zero_attempt:
      return "zero_attempt";
    case convert_error::negative_latency:
      return "negative_latency";
  }
  return "unknown";
}

call_profile to_wire(const flow::call_profile& p) {
  constexpr std::chrono::milliseconds::rep most = std::numeric_limits<std::uint32_t>::max();
  const auto timeout = std::clamp<std::chrono::milliseconds::rep>(p.timeout.count(), 0, most);
  return {p.endpoint, p.temperature, p.max_tokens,
          p.params,   p.passthrough, static_cast<std::uint32_t>(timeout)};
}

flow::call_profile from_wire(call_profile p) {
  return {std::move(p.endpoint), p.temperature, p.max_tokens,
          std::move(p.params),   p.passthrough, std::chrono::milliseconds(p.timeout_ms)};
}

batch_profiles to_wire(const actors::batch_profiles& b) {
  batch_profiles out{b.batch, {}};
  if (!b.profiles) return out;
  out.profiles.reserve(b.profiles->size());
  for (const auto& p : *b.profiles) out.profiles.push_back(to_wire(p));
  return out;
}

actors::batch_profiles from_wire(batch_profiles b) {
  std::vector<flow::call_profile> profiles;
  profiles.reserve(b.profiles.size());
  for (auto& p : b.profiles) profiles.push_back(from_wire(std::move(p)));
  return {b.batch, std::make_shared<const std::vector<flow::call_profile>>(std::move(profiles))};
}

task_frame to_wire(actors::task_batch b) {
  task_frame out;
  out.tasks.reserve(b.tasks.size());
  for (auto& t : b.tasks) out.tasks.push_back(to_wire(std::move(t)));
  return out;
}

converted<actors::task_batch> from_wire(task_frame f, const profile_counts& profiles) {
  for (std::size_t i = 0; i < f.tasks.size(); ++i) {
    if (const auto e = check(f.tasks[i], profiles)) return convert_failure{*e, i};
  }
  actors::task_batch out;
  out.tasks.reserve(f.tasks.size());
  for (auto& t : f.tasks) out.tasks.push_back(from_wire(std::move(t)));
  return out;
}

result_frame to_wire(actors::result_batch b) {
  result_frame out;
  out.results.reserve(b.results.size());
  for (auto& r : b.results) out.results.push_back(to_wire(std::move(r)));
  return out;
}

converted<actors::result_batch> from_wire(result_frame f) {
  for (std::size_t i = 0; i < f.results.size(); ++i) {
    if (const auto e = check(f.results[i])) return convert_failure{*e, i};
  }
  actors::result_batch out;
  out.results.reserve(f.results.size());
  for (auto& r : f.results) out.results.push_back(from_wire(std::move(r)));
  return out;
}

}  // namespace parallm::nodes
