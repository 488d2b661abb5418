#pragma once
// The line sink of `run`: writes result lines to the output JSONL file (or stdout) through one
// large buffer, either as they come or, in ordered mode, in input order.
//
// Thread-safe: the reducer writes through it while the signal thread may flush it before an
// abort, so every member takes one lock.

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "batch/file_identity.hpp"
#include "batch/line_sink.hpp"

namespace parallm::batch {

class output_writer final : public line_sink {
 public:
  // "-" writes stdout. append: keep what the file holds (--resume); otherwise truncate it.
  // ordered: emit() holds each line back until every lower sequence number was written.
  // input: the input file; an output that is the same file is refused before anything is
  // truncated. An open failure or a refusal is kept in error().
  output_writer(const std::string& path, bool append, bool ordered,
                std::optional<file_identity> input = std::nullopt);
  ~output_writer() override;  // flushes; a failure then is lost, so call flush() first
  output_writer(const output_writer&) = delete;
  output_writer& operator=(const output_writer&) = delete;

  // Takes one line (no "\n"; one is added). seq numbers the admitted items 0, 1, 2, ... in
  // input order; unordered mode ignores it. Returns how many lines this call released to
  // the file, so the caller can free that many window slots: in ordered mode 0 while a gap
  // remains below seq, then the whole run that became contiguous. The caller bounds how far
  // seq runs ahead, which bounds what is held here. A seq given before is ignored (0).
  // After an error lines are still counted as released, so the caller never stalls.
  // The facts are in the line already: a file has no use for them apart.
  std::size_t emit(std::uint64_t seq, std::string line, const line_facts& facts) override;

  // Ordered mode, when the run stops early: passes the lines held back behind a gap to the
  // file in sequence order, skipping the gaps (those items never finished). Returns how many.
  std::size_t release_held() override;

  // Writes the buffer out. False on error (see error()).
  bool flush() override;
  // flush() for an abort from another thread: gives up (false) rather than wait longer than
  // `limit` for a write in progress, e.g. to a stdout pipe nobody reads.
  bool flush_within(std::chrono::milliseconds limit);

  bool failed() const override;
  std::string error() const override;
  // Lines passed to the file so far (on disk once flush() succeeded), none after an error.
  std::uint64_t lines_written() const;
  // Lines held back in ordered mode, waiting for a lower sequence number.
  std::size_t held() const;

 private:
  void open(const std::string& path, bool append, std::optional<file_identity> input);
  void append_line(const std::string& line);
  bool flush_locked();
  bool write_out(const char* data, std::size_t size);

  mutable std::timed_mutex mutex_;
  std::string path_;
  int fd_ = -1;
  bool owns_fd_ = false;
  bool ordered_;
  std::string buffer_;
  std::uint64_t lines_written_ = 0;
  // Ordered mode: slot i holds the line with seq next_seq_ + i, once it arrived.
  std::deque<std::optional<std::string>> window_;
  std::uint64_t next_seq_ = 0;
  std::size_t held_count_ = 0;
  std::string error_;
};

}  // namespace parallm::batch
