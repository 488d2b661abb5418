#include "nodes/result_frames.hpp"

#include <algorithm>
#include <utility>

#include "actors/messages.hpp"
#include "nodes/wire_codec.hpp"
#include "nodes/wire_convert.hpp"

namespace parallm::nodes {
namespace {

// What a result costs in a frame besides its text, with room to spare: its key, numbers,
// optional fields and array headers take under 100 bytes and 30 msgpack values, plus one
// value and up to 5 header bytes per extra choice.
constexpr std::size_t fixed_bytes = 128;
constexpr std::size_t fixed_values = 32;
// The frame's own header, the results list's header and a margin.
constexpr std::size_t frame_overhead = 64;

std::size_t bytes_of(const actors::attempt_result& r) {
  return fixed_bytes + text_bytes(r) + 8 * r.outcome.more_texts.size();
}

std::size_t values_of(const actors::attempt_result& r) {
  return fixed_values + r.outcome.more_texts.size();
}

bool too_large(const actors::attempt_result& r, const wire_limits& limits) {
  const auto& o = r.outcome;
  const auto over = [&](const std::string& s) { return s.size() > limits.max_string_bytes; };
  if (over(o.text) || over(o.error) || over(o.finish_reason)) return true;
  if (std::any_of(o.more_texts.begin(), o.more_texts.end(), over)) return true;
  if (o.more_texts.size() > limits.max_items) return true;
  return bytes_of(r) + frame_overhead > limits.max_frame_bytes ||
         values_of(r) + frame_overhead > limits.max_values;
}

void append_frame(std::vector<std::string>& frames, std::vector<actors::attempt_result>& batch) {
  if (batch.empty()) return;
  frames.push_back(encode(to_wire(actors::result_batch{std::move(batch)})));
  batch.clear();
}

}  // namespace

std::size_t text_bytes(const actors::attempt_result& r) {
  const auto& o = r.outcome;
  std::size_t n = o.text.size() + o.error.size() + o.finish_reason.size();
  for (const auto& t : o.more_texts) n += t.size();
  return n;
}

bool fit_to_wire(actors::attempt_result& r, const wire_limits& limits) {
  if (!too_large(r, limits)) return false;
  const auto bytes = text_bytes(r);
  providers::call_outcome failed;
  failed.kind = providers::outcome_kind::final;
  failed.error = "answer too large for the wire: " + std::to_string(bytes) + " bytes";
  failed.http_status = r.outcome.http_status;
  failed.prompt_tokens = r.outcome.prompt_tokens;
  failed.completion_tokens = r.outcome.completion_tokens;
  r.outcome = std::move(failed);
  return true;
}

std::vector<std::string> result_frames(std::vector<actors::attempt_result> results,
                                       const wire_limits& limits) {
  std::vector<std::string> frames;
  std::vector<actors::attempt_result> batch;
  std::size_t bytes = frame_overhead;
  std::size_t values = frame_overhead;
  for (auto& r : results) {
    fit_to_wire(r, limits);
    const auto b = bytes_of(r);
    const auto v = values_of(r);
    if (!batch.empty() && (batch.size() >= limits.max_items || bytes + b > limits.max_frame_bytes ||
                           values + v > limits.max_values)) {
      append_frame(frames, batch);
      bytes = frame_overhead;
      values = frame_overhead;
    }
    batch.push_back(std::move(r));
    bytes += b;
    values += v;
  }
  append_frame(frames, batch);
  return frames;
}

}  // namespace parallm::nodes
