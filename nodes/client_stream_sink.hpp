#pragma once
// The line sink of a batch a client submitted: each item's line goes to the client as part of
// an item_lines frame, with the facts the client counts its summary from. Lines are gathered
// while the reducer is busy and sent when it goes idle (flush) or a frame is full, so a busy
// batch sends few large frames and a quiet one sends each line at once. Input order is the
// client's business (its own writer holds lines back for --ordered).

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "batch/line_sink.hpp"
#include "nodes/frame_post.hpp"
#include "nodes/wire_messages.hpp"

namespace parallm::nodes {

class client_stream_sink final : public batch::line_sink {
 public:
  client_stream_sink(frame_post post, std::string client, std::uint64_t client_batch,
                     wire_limits limits = {});

  std::size_t emit(std::uint64_t seq, std::string line, const batch::line_facts& facts) override;
  std::size_t release_held() override { return 0; }
  bool flush() override;
  bool failed() const override { return false; }
  std::string error() const override { return {}; }

  // The client went away or submitted the batch again: nothing more goes out. Any thread.
  void cancel() { cancelled_ = true; }
  // Lines handed over so far. Any thread.
  std::uint64_t lines() const { return lines_; }

 private:
  frame_post post_;
  std::string client_;
  std::uint64_t client_batch_;
  wire_limits limits_;
  std::vector<item_line> pending_;
  std::atomic<bool> cancelled_{false};
  std::atomic<std::uint64_t> lines_{0};
};

}  // namespace parallm::nodes
