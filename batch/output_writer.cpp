#include "batch/output_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace parallm::batch {
namespace {

constexpr std::size_t flush_threshold = std::size_t{1} << 20;

}  // namespace

output_writer::output_writer(const std::string& path, bool append, bool ordered)
    : path_(path == "-" ? "<stdout>" : path), ordered_(ordered) {
  if (path == "-") {
    fd_ = STDOUT_FILENO;
  } else {
    const int mode = append ? O_APPEND : O_TRUNC;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | mode, 0644);
    if (fd_ < 0) {
      error_ = path_ + ": " + std::strerror(errno);
      return;
    }
    owns_fd_ = true;
  }
  buffer_.reserve(flush_threshold + 4096);
}

output_writer::~output_writer() {
  flush();
  if (owns_fd_) ::close(fd_);
}

std::size_t output_writer::emit(std::uint64_t seq, std::string line) {
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

void output_writer::append_line(const std::string& line) {
  if (!error_.empty()) return;
  ++lines_written_;
  buffer_.append(line);
  buffer_.push_back('\n');
  if (buffer_.size() >= flush_threshold) flush();
}

bool output_writer::flush() {
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

}  // namespace parallm::batch
