#include "batch/progress_display.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <string>

namespace parallm::batch {

progress_display::progress_display(std::FILE* out, bool tty, std::uint64_t total, std::size_t width,
                                   clock::duration interval)
    : out_(out), tty_(tty), total_(total), width_(width), interval_(interval) {}

bool progress_display::is_terminal(std::FILE* out) {
  return ::isatty(::fileno(out)) == 1;
}

std::size_t progress_display::terminal_width(std::FILE* out) {
  winsize size{};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_col;
}

bool progress_display::update(const run_stats& stats, clock::time_point now) {
  if (drawn_ && now - last_draw_ < interval_) return false;
  draw(stats, now);
  return true;
}

void progress_display::finish(const run_stats& stats, clock::time_point now) {
  draw(stats, now);
  if (tty_) std::fputc('\n', out_);
  std::fflush(out_);
}

void progress_display::log(std::string_view line) {
  if (tty_ && drawn_) {
    std::fputs("\r\x1b[K", out_);
    drawn_ = false;  // redraw at the next update, not an interval later
  }
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

void progress_display::draw(const run_stats& stats, clock::time_point now) {
  auto line = stats.progress_line(total_, stats.elapsed(now));
  if (!hold_.empty()) line.append(" | ").append(hold_);
  drawn_ = true;
  last_draw_ = now;
  if (!tty_) {
    line += '\n';
    std::fputs(line.c_str(), out_);
    return;
  }
  // The last column stays free: writing into it makes some terminals wrap at once.
  if (width_ > 1 && line.size() >= width_) line.resize(width_ - 1);
  std::fputs("\r", out_);
  std::fputs(line.c_str(), out_);
  std::fputs("\x1b[K", out_);
  std::fflush(out_);
}

}  // namespace parallm::batch
