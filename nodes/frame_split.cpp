#include "nodes/frame_split.hpp"

#include <utility>

#include "nodes/wire_codec.hpp"

namespace parallm::nodes {
namespace {

// Upper bounds of msgpack encodings (body_writer.cpp packs every number in its smallest form,
// so these are the widest): a struct's array header is one byte (at most 15 fields), a list's
// or string's header at most five, a u64, double or ms at most nine, a u32, int or enum five.
constexpr std::size_t struct_header = 1;
constexpr std::size_t list_header = 5;
constexpr std::size_t str_header = 5;
constexpr std::size_t u64_bytes = 9;
constexpr std::size_t u32_bytes = 5;
constexpr std::size_t f64_bytes = 9;
constexpr std::size_t key_bytes = struct_header + 3 * u64_bytes;

// [key, attempt, generation, profile, element, prompt, system, count]
constexpr std::size_t task_overhead = struct_header + key_bytes + 5 * u32_bytes + 2 * str_header;
// [kind, text, more_texts, error, finish_reason, http_status, prompt_tokens,
//  completion_tokens, retry_after]; each of more_texts adds a string header.
constexpr std::size_t outcome_overhead = struct_header + u32_bytes + str_header + list_header +
                                         2 * str_header + u32_bytes + 3 * u64_bytes;
// Six optional numbers and two header indices.
constexpr std::size_t rate_overhead = struct_header + 6 * u64_bytes + 2 * u32_bytes;
// [key, attempt, generation, outcome, latency_ms, rate]
constexpr std::size_t result_overhead =
    struct_header + key_bytes + 2 * u32_bytes + outcome_overhead + f64_bytes + rate_overhead;
// [seq, line, text, error]
constexpr std::size_t input_line_overhead = struct_header + 2 * u64_bytes + 2 * str_header;
// [seq, text, status, prompt_tokens, completion_tokens, latency_us, calls, attempts,
//  rate_limited]
constexpr std::size_t item_line_overhead =
    struct_header + u64_bytes + str_header + u32_bytes + 6 * u64_bytes;

// Values as frame_scan counts them: the struct itself and each of its fields, nested structs'
// fields too, and each element of a nested list.
constexpr std::size_t task_values = 1 + 8 + 3;
constexpr std::size_t result_values = 1 + 6 + 3 + 9 + 8;
constexpr std::size_t input_line_values = 1 + 4;
constexpr std::size_t item_line_values = 1 + 9;

bool string_fits(const std::string& s, const wire_limits& limits) {
  return s.size() <= limits.max_string_bytes;
}

template <class Entry>
struct cut {
  std::vector<std::vector<Entry>> lists;
  std::vector<Entry> oversized;
  std::vector<std::size_t> list_bytes;
};

template <class Entry>
cut<Entry> cut_entries(std::vector<Entry> entries, const wire_limits& limits) {
  auto plan = plan_split(
      entries, [&limits](const Entry& e) { return cost_of(e, limits); }, budget_for(limits));
  cut<Entry> out;
  out.list_bytes = std::move(plan.chunk_bytes);
  // The common case, everything in one frame: the list goes on as it is, no entry moved.
  if (plan.chunks.size() == 1 && plan.oversized.empty()) {
    out.lists.push_back(std::move(entries));
    return out;
  }
  out.lists.reserve(plan.chunks.size());
  for (const auto& chunk : plan.chunks) {
    auto& list = out.lists.emplace_back();
    list.reserve(chunk.size());
    for (const auto i : chunk) list.push_back(std::move(entries[i]));
  }
  out.oversized.reserve(plan.oversized.size());
  for (const auto i : plan.oversized) out.oversized.push_back(std::move(entries[i]));
  return out;
}

template <class Frame, class Entry>
encoded_split<Entry> encode_all(split_frames<Frame, Entry> s) {
  encoded_split<Entry> out;
  out.frames.reserve(s.frames.size());
  for (std::size_t i = 0; i < s.frames.size(); ++i) {
    const auto hint = i < s.frame_bytes.size() ? s.frame_bytes[i] + frame_headroom_bytes : 0;
    out.frames.push_back(encode(message{std::move(s.frames[i])}, hint));
  }
  out.oversized = std::move(s.oversized);
  return out;
}

}  // namespace

frame_budget budget_for(const wire_limits& limits) {
  frame_budget b;
  b.max_items = limits.max_items;
  b.max_bytes = limits.max_frame_bytes > frame_headroom_bytes
                    ? limits.max_frame_bytes - frame_headroom_bytes
                    : 0;
  b.max_values =
      limits.max_values > frame_headroom_values ? limits.max_values - frame_headroom_values : 0;
  return b;
}

entry_cost cost_of(const wire_task& t, const wire_limits& limits) {
  return {task_overhead + t.prompt.size() + t.system.size(), task_values,
          string_fits(t.prompt, limits) && string_fits(t.system, limits)};
}

entry_cost cost_of(const wire_result& r, const wire_limits& limits) {
  const auto& o = r.outcome;
  entry_cost c{result_overhead + o.text.size() + o.error.size() + o.finish_reason.size(),
               result_values + o.more_texts.size(),
               o.more_texts.size() <= limits.max_items && string_fits(o.text, limits) &&
                   string_fits(o.error, limits) && string_fits(o.finish_reason, limits)};
  for (const auto& text : o.more_texts) {
    c.bytes += str_header + text.size();
    c.fits = c.fits && string_fits(text, limits);
  }
  return c;
}

entry_cost cost_of(const input_line& l, const wire_limits& limits) {
  return {input_line_overhead + l.text.size() + l.error.size(), input_line_values,
          string_fits(l.text, limits) && string_fits(l.error, limits)};
}

entry_cost cost_of(const item_line& l, const wire_limits& limits) {
  return {item_line_overhead + l.text.size(), item_line_values, string_fits(l.text, limits)};
}

split_plan plan_split(std::size_t count, const std::function<entry_cost(std::size_t)>& cost,
                      const frame_budget& budget) {
  split_plan plan;
  std::vector<std::size_t> chunk;
  std::size_t bytes = 0;
  std::size_t values = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const auto c = cost(i);
    if (!c.fits || budget.max_items == 0 || c.bytes > budget.max_bytes ||
        c.values > budget.max_values) {
      plan.oversized.push_back(i);
      continue;
    }
    if (!chunk.empty() && (chunk.size() >= budget.max_items || bytes + c.bytes > budget.max_bytes ||
                           values + c.values > budget.max_values)) {
      plan.chunks.push_back(std::move(chunk));
      plan.chunk_bytes.push_back(bytes);
      chunk.clear();
      bytes = 0;
      values = 0;
    }
    chunk.push_back(i);
    bytes += c.bytes;
    values += c.values;
  }
  if (!chunk.empty()) {
    plan.chunks.push_back(std::move(chunk));
    plan.chunk_bytes.push_back(bytes);
  }
  return plan;
}

split_frames<task_frame, wire_task> split(task_frame f, const wire_limits& limits) {
  auto c = cut_entries(std::move(f.tasks), limits);
  split_frames<task_frame, wire_task> out;
  for (auto& list : c.lists) out.frames.push_back(task_frame{std::move(list)});
  out.oversized = std::move(c.oversized);
  out.frame_bytes = std::move(c.list_bytes);
  return out;
}

split_frames<result_frame, wire_result> split(result_frame f, const wire_limits& limits) {
  auto c = cut_entries(std::move(f.results), limits);
  split_frames<result_frame, wire_result> out;
  for (auto& list : c.lists) out.frames.push_back(result_frame{std::move(list)});
  out.oversized = std::move(c.oversized);
  out.frame_bytes = std::move(c.list_bytes);
  return out;
}

split_frames<item_frame, input_line> split(item_frame f, const wire_limits& limits) {
  auto c = cut_entries(std::move(f.items), limits);
  if (c.lists.empty()) c.lists.emplace_back();
  split_frames<item_frame, input_line> out;
  for (auto& list : c.lists) out.frames.push_back(item_frame{f.batch, std::move(list), false, 0});
  out.frames.front().skipped = f.skipped;
  out.frames.back().end_of_input = f.end_of_input;
  out.oversized = std::move(c.oversized);
  out.frame_bytes = std::move(c.list_bytes);
  return out;
}

split_frames<line_frame, item_line> split(line_frame f, const wire_limits& limits) {
  auto c = cut_entries(std::move(f.lines), limits);
  split_frames<line_frame, item_line> out;
  for (auto& list : c.lists) out.frames.push_back(line_frame{f.batch, std::move(list)});
  out.oversized = std::move(c.oversized);
  out.frame_bytes = std::move(c.list_bytes);
  return out;
}

encoded_split<wire_task> encode_split(task_frame f, const wire_limits& limits) {
  return encode_all(split(std::move(f), limits));
}
encoded_split<wire_result> encode_split(result_frame f, const wire_limits& limits) {
  return encode_all(split(std::move(f), limits));
}
encoded_split<input_line> encode_split(item_frame f, const wire_limits& limits) {
  return encode_all(split(std::move(f), limits));
}
encoded_split<item_line> encode_split(line_frame f, const wire_limits& limits) {
  return encode_all(split(std::move(f), limits));
}

}  // namespace parallm::nodes
