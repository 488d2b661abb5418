#pragma once
// Writes result lines to the output JSONL file (or stdout) through one large buffer, either
// as they come or, in ordered mode, in input order.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

namespace parallm::batch {

class output_writer {
 public:
  // "-" writes stdout. append: keep what the file holds (--resume); otherwise truncate it.
  // ordered: emit() holds each line back until every lower sequence number was written.
  // An open failure is kept in error().
  output_writer(const std::string& path, bool append, bool ordered);
  ~output_writer();  // flushes; a failure then is lost, so call flush() first
  output_writer(const output_writer&) = delete;
  output_writer& operator=(const output_writer&) = delete;

  // Takes one line (no "\n"; one is added). seq numbers the admitted items 0, 1, 2, ... in
  // input order; unordered mode ignores it. Returns how many lines this call released to
  // the file, so the caller can free that many window slots: in ordered mode 0 while a gap
  // remains below seq, then the whole run that became contiguous. The caller bounds how far
  // seq runs ahead, which bounds what is held here. A seq given before is ignored (0).
  // After an error lines are still counted as released, so the caller never stalls.
  std::size_t emit(std::uint64_t seq, std::string line);

  // Writes the buffer out. False on error (see error()).
  bool flush();

  const std::string& error() const { return error_; }
  // Lines passed to the file so far (on disk once flush() succeeded), none after an error.
  std::uint64_t lines_written() const { return lines_written_; }
  // Lines held back in ordered mode, waiting for a lower sequence number.
  std::size_t held() const { return held_count_; }

 private:
  void append_line(const std::string& line);
  bool write_out(const char* data, std::size_t size);

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
