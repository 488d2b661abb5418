#include "batch/output_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace parallm::batch {
namespace {

constexpr std::size_t flush_threshold = std::size_t{1} << 20;

}  // namespace

output_writer::output_writer(const std::string& path, bool append, bool ordered,
                             std::optional<file_identity> input)
    : path_(path == "-" ? "<stdout>" : path), ordered_(ordered) {
  open(path, append, input);
  if (error_.empty()) buffer_.reserve(flush_threshold + 4096);
}

// Opened without O_TRUNC: the file is truncated only once it is known not to be the input.
void output_writer::open(const std::string& path, bool append, std::optional<file_identity> input) {
  if (path == "-") {
    fd_ = STDOUT_FILENO;
  } else {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : 0), 0644);
    if (fd_ < 0) {
      error_ = path_ + ": " + std::strerror(errno);
      return;
    }
    owns_fd_ = true;
  }
  const auto output = regular_file_identity(fd_);
  if (input && output == input) {
    error_ = output_is_input_message(path_);
    if (owns_fd_) ::close(fd_);
    fd_ = -1;
    owns_fd_ = false;
    return;
  }
  if (!append && owns_fd_ && output && ::ftruncate(fd_, 0) != 0) {
    error_ = path_ + ": " + std::strerror(errno);
  }
}

output_writer::~output_writer() {
  flush();
  if (owns_fd_) ::close(fd_);
}

std::size_t output_writer::emit(std::uint64_t seq, std::string line, const line_facts& /*facts*/) {
  std::lock_guard lock(mutex_);
  if (!ordered_) {
    append_line(line);
    return 1;
  }
  if (seq < next_seq_) return 0;
  const auto offset = seq - next_seq_;
  if (offset >= window_.size()) window_.resize(offset + 1);
  if (window_[offset]) return 0;
  window_[offset] = std::move(line);
  ++held_count_;
  std::size_t released = 0;
  while (!window_.empty() && window_.front()) {
    append_line(*window_.front());
    window_.pop_front();
    ++next_seq_;
    --held_count_;
    ++released;
  }
  return released;
}

std::size_t output_writer::release_held() {
  std::lock_guard lock(mutex_);
  std::size_t released = 0;
  for (auto& slot : window_) {
    if (!slot) continue;
    append_line(*slot);
    ++released;
  }
  next_seq_ += window_.size();
  window_.clear();
  held_count_ = 0;
  return released;
}

void output_writer::append_line(const std::string& line) {
  if (!error_.empty()) return;
  ++lines_written_;
  buffer_.append(line);
  buffer_.push_back('\n');
  if (buffer_.size() >= flush_threshold) flush_locked();
}

bool output_writer::flush() {
  std::lock_guard lock(mutex_);
  return flush_locked();
}

bool output_writer::flush_within(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_, std::defer_lock);
  return lock.try_lock_for(limit) && flush_locked();
}

bool output_writer::flush_locked() {
  if (!error_.empty()) return false;
  const bool ok = write_out(buffer_.data(), buffer_.size());
  buffer_.clear();
  return ok;
}

bool output_writer::write_out(const char* data, std::size_t size) {
  while (size > 0) {
    const auto n = ::write(fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error_ = path_ + ": " + std::strerror(errno);
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool output_writer::failed() const {
  std::lock_guard lock(mutex_);
  return !error_.empty();
}

std::string output_writer::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

std::uint64_t output_writer::lines_written() const {
  std::lock_guard lock(mutex_);
  return lines_written_;
}

std::size_t output_writer::held() const {
  std::lock_guard lock(mutex_);
  return held_count_;
}

}  // namespace parallm::batch
