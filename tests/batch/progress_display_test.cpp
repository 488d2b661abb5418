#define BOOST_TEST_MODULE progress_display
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "batch/progress_display.hpp"

using parallm::batch::progress_display;
using parallm::batch::run_stats;
using parallm::flow::item_status;
using namespace std::chrono_literals;

namespace {

const run_stats::clock::time_point start{};

// A FILE* writing to memory, so a test sees exactly the bytes a terminal would get.
class memory_stream {
 public:
  memory_stream() : file_(::open_memstream(&data_, &size_)) {}
  ~memory_stream() {
    std::fclose(file_);
    std::free(data_);
  }
  std::FILE* file() const { return file_; }
  std::string text() {
    std::fflush(file_);
    return {data_, size_};
  }

 private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::FILE* file_;
};

std::string count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return std::to_string(n);
}

}  // namespace

BOOST_AUTO_TEST_CASE(terminal_redraws_in_place_at_most_every_interval) {
  memory_stream out;
  run_stats stats(start);
  progress_display display(out.file(), true, 4);
  BOOST_TEST(display.update(stats, start));
  stats.record(item_status::ok, 1, 1, 5ms);
  BOOST_TEST(!display.update(stats, start + 50ms));
  BOOST_TEST(!display.update(stats, start + 99ms));
  BOOST_TEST(display.update(stats, start + 100ms));
  const auto text = out.text();
  BOOST_TEST(count_of(text, "\r") == "2");
  BOOST_TEST(count_of(text, "\x1b[K") == "2");
  BOOST_TEST(text.find('\n') == std::string::npos);
  BOOST_TEST(text.starts_with("\r[--------------------]   0%  0/4"));
  BOOST_TEST(text.find("\r[#####---------------]  25%  1/4") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(finish_draws_the_final_state_and_ends_the_line) {
  memory_stream out;
  run_stats stats(start);
  progress_display display(out.file(), true, 1);
  BOOST_TEST(display.update(stats, start));
  stats.record(item_status::failed, 0, 0, 5ms);
  display.finish(stats, start + 1ms);
  const auto text = out.text();
  BOOST_TEST(
      text.ends_with("100%  1/1  ok 0  partial 0  failed 1  | 1000 items/s | tokens 0 | "
                     "ETA 0s\x1b[K\n"));
}

BOOST_AUTO_TEST_CASE(terminal_line_is_cut_to_the_width) {
  memory_stream out;
  const run_stats stats(start);
  progress_display display(out.file(), true, 0, 21);
  display.finish(stats, start);
  BOOST_TEST(out.text() == "\r0  ok 0  partial 0  \x1b[K\n");
}

BOOST_AUTO_TEST_CASE(a_log_file_gets_whole_lines) {
  memory_stream out;
  const run_stats stats(start);
  progress_display display(out.file(), false, 0, 10, 1s);
  BOOST_TEST(display.update(stats, start));
  BOOST_TEST(!display.update(stats, start + 500ms));
  BOOST_TEST(display.update(stats, start + 1s));
  display.finish(stats, start + 1200ms);
  const auto line = stats.progress_line(0, 0s) + "\n";
  BOOST_TEST(out.text() == line + line + line);
}

BOOST_AUTO_TEST_CASE(a_memory_stream_is_not_a_terminal) {
  memory_stream out;
  BOOST_TEST(!progress_display::is_terminal(out.file()));
  BOOST_TEST(progress_display::terminal_width(out.file()) == 0u);
}

BOOST_AUTO_TEST_CASE(a_hold_shows_at_the_end_of_the_line_until_cleared) {
  memory_stream out;
  const run_stats stats(start);
  progress_display display(out.file(), false, 0, 0, 1s);
  display.set_hold("held by limits.rpm until 03:12:45 UTC");
  BOOST_TEST(display.update(stats, start));
  display.set_hold("");
  BOOST_TEST(display.update(stats, start + 1s));
  const auto line = stats.progress_line(0, 0s);
  BOOST_TEST(out.text() == line + " | held by limits.rpm until 03:12:45 UTC\n" + line + "\n");
}

BOOST_AUTO_TEST_CASE(a_log_line_clears_the_live_line_and_the_next_update_redraws) {
  memory_stream out;
  const run_stats stats(start);
  progress_display display(out.file(), true, 0);
  BOOST_TEST(display.update(stats, start));
  display.log("parallm: rate limit: calls held by limits.rpm until 03:12:45 UTC\n");
  // Within the interval, yet drawn again: the log line took the live line's place.
  BOOST_TEST(display.update(stats, start + 1ms));
  const auto text = out.text();
  const auto logged = text.find(
      "\r\x1b[Kparallm: rate limit: calls held by limits.rpm until "
      "03:12:45 UTC\n\r");
  BOOST_TEST(logged != std::string::npos);
}
