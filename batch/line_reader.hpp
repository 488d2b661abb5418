#pragma once
// Reads a JSONL file (or stdin) line by line through one large buffer, so that millions of
// lines cost a read(2) per megabyte and a memchr per line instead of iostream overhead.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "batch/file_identity.hpp"

namespace parallm::batch {

class line_reader {
 public:
  // "-" reads stdin. An open failure is kept in error(); next() then returns false.
  explicit line_reader(const std::string& path);
  ~line_reader();
  line_reader(const line_reader&) = delete;
  line_reader& operator=(const line_reader&) = delete;

  // The next line without its "\n" and a trailing "\r". A last line without a newline is
  // returned too. False at the end of the input or on a read error (see error()).
  bool next(std::string& line);

  // Whether next() would have to wait for input: no whole line is buffered and the input
  // (a pipe, a terminal, a socket) has nothing to read right now. Never true for a file.
  bool would_block() const;

  // The input's file identity (nullopt for stdin that is not a regular file).
  std::optional<file_identity> identity() const;

  // 1-based number of the line next() just returned.
  std::uint64_t line_number() const { return line_number_; }
  // Byte offset just past the line next() just returned, its newline included.
  std::uint64_t end_offset() const { return end_offset_; }
  // Whether the line next() just returned ended with "\n" (false only for a last line).
  bool line_terminated() const { return terminated_; }

  // Empty while all is well; else "PATH: strerror" of the failed open or read.
  const std::string& error() const { return error_; }

  // Lines holding something other than whitespace, i.e. the items a batch file will yield;
  // for the progress bar's total. nullopt for stdin or an unreadable file.
  static std::optional<std::uint64_t> count_lines(const std::string& path);

 private:
  bool refill();

  std::string path_;
  int fd_ = -1;
  bool owns_fd_ = false;
  bool eof_ = false;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::uint64_t line_number_ = 0;
  std::uint64_t end_offset_ = 0;
  bool terminated_ = false;
  std::string error_;
};

}  // namespace parallm::batch
