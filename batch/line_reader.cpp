#include "batch/line_reader.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace parallm::batch {
namespace {

constexpr std::size_t buffer_size = std::size_t{1} << 20;

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::string describe_errno(const std::string& path, int err) {
  return path + ": " + std::strerror(err);
}

// read(2) that retries when a signal interrupts it; -1 only on a real error.
ssize_t read_some(int fd, char* data, std::size_t size) {
  for (;;) {
    const auto n = ::read(fd, data, size);
    if (n >= 0 || errno != EINTR) return n;
  }
}

}  // namespace

line_reader::line_reader(const std::string& path) : path_(path == "-" ? "<stdin>" : path) {
  if (path == "-") {
    fd_ = STDIN_FILENO;
  } else {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      error_ = describe_errno(path_, errno);
      eof_ = true;
      return;
    }
    owns_fd_ = true;
  }
  buffer_.resize(buffer_size);
}

line_reader::~line_reader() {
  if (owns_fd_) ::close(fd_);
}

bool line_reader::refill() {
  begin_ = 0;
  end_ = 0;
  if (eof_) return false;
  const auto n = read_some(fd_, buffer_.data(), buffer_.size());
  if (n < 0) error_ = describe_errno(path_, errno);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  end_ = static_cast<std::size_t>(n);
  return true;
}

bool line_reader::next(std::string& line) {
  line.clear();
  bool have_bytes = false;
  for (;;) {
    if (begin_ == end_ && !refill()) break;
    const char* start = buffer_.data() + begin_;
    const auto available = end_ - begin_;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', available));
    if (newline != nullptr) {
      const auto length = static_cast<std::size_t>(newline - start);
      line.append(start, length);
      begin_ += length + 1;
      end_offset_ += length + 1;
      terminated_ = true;
      have_bytes = true;
      break;
    }
    line.append(start, available);
    begin_ = end_;
    end_offset_ += available;
    terminated_ = false;
    have_bytes = true;
  }
  if (!have_bytes || !error_.empty()) return false;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  ++line_number_;
  return true;
}

bool line_reader::would_block() const {
  if (eof_) return false;
  if (std::memchr(buffer_.data() + begin_, '\n', end_ - begin_) != nullptr) return false;
  pollfd ready{fd_, POLLIN, 0};
  return ::poll(&ready, 1, 0) == 0;
}

std::optional<file_identity> line_reader::identity() const {
  return fd_ < 0 ? std::nullopt : regular_file_identity(fd_);
}

std::optional<std::uint64_t> line_reader::count_lines(const std::string& path) {
  if (path == "-") return std::nullopt;
  line_reader reader(path);
  if (!reader.error().empty()) return std::nullopt;
  std::uint64_t count = 0;
  // Whether the current line has shown a non-blank byte yet; carried across buffer refills.
  bool counted = false;
  while (reader.refill()) {
    const char* p = reader.buffer_.data();
    const char* const end = p + reader.end_;
    while (p < end) {
      if (*p == '\n') {
        counted = false;
        ++p;
        continue;
      }
      if (!counted && !is_blank(*p)) {
        ++count;
        counted = true;
      }
      if (counted) {
        const auto* newline = static_cast<const char*>(std::memchr(p, '\n', end - p));
        p = newline != nullptr ? newline : end;
      } else {
        ++p;
      }
    }
  }
  if (!reader.error().empty()) return std::nullopt;
  return count;
}

}  // namespace parallm::batch
