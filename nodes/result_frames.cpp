#include "nodes/result_frames.hpp"

#include <utility>

#include "actors/messages.hpp"
#include "nodes/frame_split.hpp"
#include "nodes/wire_convert.hpp"

namespace parallm::nodes {

void fail_as_too_large(wire_result& r) {
  const auto& o = r.outcome;
  std::size_t bytes = o.text.size() + o.error.size() + o.finish_reason.size();
  for (const auto& t : o.more_texts) bytes += t.size();
  providers::call_outcome failed;
  failed.kind = providers::outcome_kind::final;
  failed.error = "answer too large for the wire: " + std::to_string(bytes) + " bytes";
  failed.http_status = o.http_status;
  failed.prompt_tokens = o.prompt_tokens;
  failed.completion_tokens = o.completion_tokens;
  r.outcome = std::move(failed);
}

encoded_results result_frames(std::vector<actors::attempt_result> results,
                              const wire_limits& limits) {
  auto split = encode_split(to_wire(actors::result_batch{std::move(results)}), limits);
  encoded_results out{std::move(split.frames), split.oversized.size()};
  if (split.oversized.empty()) return out;
  result_frame failed;
  failed.results = std::move(split.oversized);
  for (auto& r : failed.results) fail_as_too_large(r);
  // A failure holds one short line of text, so every one of them fits.
  for (auto& f : encode_split(std::move(failed), limits).frames) out.frames.push_back(std::move(f));
  return out;
}

}  // namespace parallm::nodes
