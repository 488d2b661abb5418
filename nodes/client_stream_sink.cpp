#include "nodes/client_stream_sink.hpp"

#include "nodes/frame_split.hpp"
#include "nodes/wire_codec.hpp"

namespace parallm::nodes {
client_stream_sink::client_stream_sink(frame_post post, std::string client,
                                       std::uint64_t client_batch, wire_limits limits)
    : post_(std::move(post)),
      client_(std::move(client)),
      client_batch_(client_batch),
      limits_(limits) {}

std::size_t client_stream_sink::emit(std::uint64_t seq, std::string line,
                                     const batch::line_facts& facts) {
  ++lines_;
  if (cancelled_) return 1;
  pending_.push_back(item_line{seq, std::move(line), facts.status, facts.prompt_tokens,
                               facts.completion_tokens, facts.latency_us, facts.calls,
                               facts.attempts, facts.rate_limited});
  if (pending_.size() >= limits_.max_items) flush();
  return 1;
}

bool client_stream_sink::flush() {
  if (pending_.empty()) return true;
  auto split = encode_split(line_frame{client_batch_, std::move(pending_)}, limits_);
  pending_.clear();
  if (cancelled_) return true;
  for (auto& frame : split.frames) post_(clients_socket, client_, std::move(frame));
  // A line the client could not take is a failed item, not a lost one: its error says why.
  if (!split.oversized.empty()) {
    line_frame failed{client_batch_, {}};
    for (auto& line : split.oversized) {
      failed.lines.push_back(item_line{
          line.seq,
          "{\"id\":null,\"status\":\"failed\",\"error\":\"output line too large for the wire (" +
              std::to_string(line.text.size()) + " bytes)\"}",
          line_status::failed, line.prompt_tokens, line.completion_tokens, line.latency_us,
          line.calls, line.attempts, line.rate_limited});
    }
    for (auto& frame : encode_split(std::move(failed), limits_).frames) {
      post_(clients_socket, client_, std::move(frame));
    }
  }
  return true;
}

}  // namespace parallm::nodes
