#define BOOST_TEST_MODULE output_writer
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "batch/line_reader.hpp"
#include "batch/output_writer.hpp"
#include "temp_dir.hpp"

using parallm::batch::output_writer;
using parallm::batch::testing::temp_dir;

namespace {
// The file takes its lines as they are; the facts about them are for other sinks.
const parallm::batch::line_facts no_facts{};
}  // namespace

BOOST_AUTO_TEST_CASE(unordered_mode_writes_each_line_at_once) {
  temp_dir dir;
  {
    output_writer out(dir.file("out.jsonl"), false, false);
    BOOST_TEST(out.error().empty());
    BOOST_TEST(out.emit(5, "five", no_facts) == 1u);
    BOOST_TEST(out.emit(1, "one", no_facts) == 1u);
    BOOST_TEST(out.lines_written() == 2u);
    BOOST_TEST(out.flush());
    BOOST_TEST(dir.read("out.jsonl") == "five\none\n");
  }
  BOOST_TEST(dir.read("out.jsonl") == "five\none\n");
}

BOOST_AUTO_TEST_CASE(ordered_mode_releases_contiguous_runs_in_sequence) {
  temp_dir dir;
  output_writer out(dir.file("out.jsonl"), false, true);
  BOOST_TEST(out.emit(2, "two", no_facts) == 0u);
  BOOST_TEST(out.emit(1, "one", no_facts) == 0u);
  BOOST_TEST(out.held() == 2u);
  BOOST_TEST(out.emit(0, "zero", no_facts) == 3u);
  BOOST_TEST(out.held() == 0u);
  BOOST_TEST(out.emit(4, "four", no_facts) == 0u);
  BOOST_TEST(out.emit(3, "three", no_facts) == 2u);
  BOOST_TEST(out.emit(5, "five", no_facts) == 1u);
  BOOST_TEST(out.flush());
  BOOST_TEST(dir.read("out.jsonl") == "zero\none\ntwo\nthree\nfour\nfive\n");
}

BOOST_AUTO_TEST_CASE(ordered_mode_ignores_a_sequence_number_given_twice) {
  temp_dir dir;
  output_writer out(dir.file("out.jsonl"), false, true);
  BOOST_TEST(out.emit(1, "one", no_facts) == 0u);
  BOOST_TEST(out.emit(1, "again", no_facts) == 0u);
  BOOST_TEST(out.emit(0, "zero", no_facts) == 2u);
  BOOST_TEST(out.emit(0, "late", no_facts) == 0u);
  BOOST_TEST(out.flush());
  BOOST_TEST(dir.read("out.jsonl") == "zero\none\n");
}

BOOST_AUTO_TEST_CASE(ordered_mode_sorts_a_scrambled_window) {
  temp_dir dir;
  const std::size_t window = 64;
  const std::size_t n = 150 * window;
  output_writer out(dir.file("out.jsonl"), false, true);
  std::size_t released = 0;
  // Emits each window of 64 sequence numbers back to front.
  for (std::size_t base = 0; base < n; base += window) {
    for (std::size_t i = window; i-- > 0;) {
      released += out.emit(base + i, std::to_string(base + i), no_facts);
      BOOST_TEST_REQUIRE(out.held() < window);
    }
    BOOST_TEST_REQUIRE(released == base + window);
  }
  BOOST_TEST(out.flush());
  std::string expected;
  for (std::size_t i = 0; i < n; ++i) expected += std::to_string(i) + "\n";
  BOOST_TEST((dir.read("out.jsonl") == expected));
}

BOOST_AUTO_TEST_CASE(append_mode_keeps_what_the_file_holds) {
  temp_dir dir;
  const auto path = dir.write("out.jsonl", "old\n");
  {
    output_writer out(path, true, false);
    out.emit(0, "new", no_facts);
  }
  BOOST_TEST(dir.read("out.jsonl") == "old\nnew\n");
}

BOOST_AUTO_TEST_CASE(truncate_mode_replaces_the_file) {
  temp_dir dir;
  const auto path = dir.write("out.jsonl", "old\nolder\n");
  {
    output_writer out(path, false, false);
    out.emit(0, "new", no_facts);
  }
  BOOST_TEST(dir.read("out.jsonl") == "new\n");
}

BOOST_AUTO_TEST_CASE(large_output_passes_through_the_buffer_whole) {
  temp_dir dir;
  const std::string big(300 * 1024, 'x');
  {
    output_writer out(dir.file("out.jsonl"), false, false);
    for (int i = 0; i < 10; ++i) out.emit(0, big, no_facts);
    BOOST_TEST(out.flush());
  }
  const auto content = dir.read("out.jsonl");
  BOOST_TEST(content.size() == 10 * (big.size() + 1));
  BOOST_TEST(content.back() == '\n');
}

BOOST_AUTO_TEST_CASE(open_failure_is_a_value) {
  temp_dir dir;
  const auto path = dir.file("no/such/dir/out.jsonl");
  output_writer out(path, false, true);
  BOOST_TEST(out.error() == path + ": No such file or directory");
  BOOST_TEST(out.emit(0, "zero", no_facts) == 1u);
  BOOST_TEST(!out.flush());
}

BOOST_AUTO_TEST_CASE(a_full_disk_is_reported_and_lines_still_released) {
  output_writer out("/dev/full", false, true);
  BOOST_TEST_REQUIRE(out.error().empty());
  BOOST_TEST(out.emit(1, "one", no_facts) == 0u);
  BOOST_TEST(out.emit(0, "zero", no_facts) == 2u);
  BOOST_TEST(!out.flush());
  BOOST_TEST(out.error() == "/dev/full: No space left on device");
  BOOST_TEST(out.emit(2, "two", no_facts) == 1u);
  BOOST_TEST(!out.flush());
}

BOOST_AUTO_TEST_CASE(an_output_that_is_the_input_is_refused_before_truncation) {
  temp_dir dir;
  const auto input = dir.write("in.jsonl", "{\"id\":1}\n");
  std::filesystem::create_symlink(input, dir.file("link.jsonl"));
  std::filesystem::create_hard_link(input, dir.file("hard.jsonl"));
  parallm::batch::line_reader reader(input);
  BOOST_TEST_REQUIRE(reader.identity().has_value());
  for (const auto* name : {"in.jsonl", "link.jsonl", "hard.jsonl"}) {
    for (const bool append : {false, true}) {
      output_writer out(dir.file(name), append, false, reader.identity());
      BOOST_TEST(out.error() ==
                 "the output " + dir.file(name) + " is the input file; refusing to overwrite it");
      out.emit(0, "x", no_facts);
      BOOST_TEST(!out.flush());
    }
  }
  BOOST_TEST(dir.read("in.jsonl") == "{\"id\":1}\n");
  // Another file is truncated as before.
  const auto other = dir.write("out.jsonl", "old\n");
  output_writer out(other, false, false, reader.identity());
  BOOST_TEST(out.error().empty());
  BOOST_TEST(dir.read("out.jsonl").empty());
}

BOOST_AUTO_TEST_CASE(release_held_writes_complete_lines_past_the_gaps_in_order) {
  temp_dir dir;
  output_writer out(dir.file("out.jsonl"), false, true);
  BOOST_TEST(out.emit(0, "zero", no_facts) == 1u);
  BOOST_TEST(out.emit(4, "four", no_facts) == 0u);
  BOOST_TEST(out.emit(2, "two", no_facts) == 0u);
  BOOST_TEST(out.release_held() == 2u);
  BOOST_TEST(out.held() == 0u);
  BOOST_TEST(out.emit(3, "late", no_facts) == 0u);  // below what was released: ignored
  BOOST_TEST(out.flush());
  BOOST_TEST(dir.read("out.jsonl") == "zero\ntwo\nfour\n");
}

BOOST_AUTO_TEST_CASE(another_thread_can_flush_while_lines_are_emitted) {
  temp_dir dir;
  output_writer out(dir.file("out.jsonl"), false, false);
  std::thread flusher([&out] {
    for (int i = 0; i < 2000; ++i) out.flush_within(std::chrono::seconds(10));
  });
  for (int i = 0; i < 2000; ++i) out.emit(0, "line " + std::to_string(i), no_facts);
  flusher.join();
  BOOST_TEST(out.flush());
  std::string expected;
  for (int i = 0; i < 2000; ++i) expected += "line " + std::to_string(i) + "\n";
  BOOST_TEST((dir.read("out.jsonl") == expected));
}
