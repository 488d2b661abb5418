#pragma once
// Draws run_stats' progress line on stderr while a batch runs. On a terminal the line is
// redrawn in place ("\r" + clear to end of line); elsewhere (a log file) each draw is a line
// of its own. Redraws are rate-limited so that a fast batch does not spend its time printing.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "batch/run_stats.hpp"

namespace parallm::batch {

class progress_display {
 public:
  using clock = std::chrono::steady_clock;

  // total: the input's item count, 0 when unknown. tty: redraw in place. width: the
  // terminal's columns (0 = unknown); a longer line is cut so it cannot wrap and smear.
  progress_display(std::FILE* out, bool tty, std::uint64_t total, std::size_t width = 0,
                   clock::duration interval = std::chrono::milliseconds(100));

  // Whether out is a terminal, and its width in columns (0 when unknown).
  static bool is_terminal(std::FILE* out);
  static std::size_t terminal_width(std::FILE* out);

  // Redraws when at least the interval passed since the last draw; true when it drew.
  bool update(const run_stats& stats, clock::time_point now);

  // Draws the final state and ends the line, so that what follows starts on its own line.
  void finish(const run_stats& stats, clock::time_point now);

  // What holds the run back (human_format's hold_note), shown at the end of the line from
  // the next draw on; empty when nothing does.
  void set_hold(std::string note) { hold_ = std::move(note); }

  // A line of its own (a log message, with its newline) that does not smear the live line:
  // on a terminal the live line is cleared first and redrawn at the next update.
  void log(std::string_view line);

 private:
  void draw(const run_stats& stats, clock::time_point now);

  std::FILE* out_;
  bool tty_;
  std::uint64_t total_;
  std::size_t width_;
  clock::duration interval_;
  bool drawn_ = false;
  clock::time_point last_draw_{};
  std::string hold_;
};

}  // namespace parallm::batch
