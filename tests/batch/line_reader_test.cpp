#define BOOST_TEST_MODULE line_reader
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include <unistd.h>

#include "batch/line_reader.hpp"
#include "temp_dir.hpp"

using parallm::batch::line_reader;
using parallm::batch::testing::temp_dir;

namespace {

std::vector<std::string> read_all(const std::string& path) {
  line_reader reader(path);
  std::vector<std::string> lines;
  std::string line;
  while (reader.next(line)) {
    lines.push_back(line);
    BOOST_TEST(reader.line_number() == lines.size());
  }
  BOOST_TEST(reader.error().empty());
  return lines;
}

}  // namespace

BOOST_AUTO_TEST_CASE(reads_lines_and_numbers_them) {
  temp_dir dir;
  const auto path = dir.write("in.jsonl", "{\"a\":1}\n{\"a\":2}\n\n{\"a\":3}\n");
  const std::vector<std::string> expected{"{\"a\":1}", "{\"a\":2}", "", "{\"a\":3}"};
  BOOST_TEST(read_all(path) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(strips_carriage_returns_of_crlf_lines_only_at_the_end) {
  temp_dir dir;
  const auto path = dir.write("in.jsonl", "a\r\nb\rc\r\n\r\n");
  const std::vector<std::string> expected{"a", "b\rc", ""};
  BOOST_TEST(read_all(path) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(returns_a_last_line_without_newline) {
  temp_dir dir;
  line_reader reader(dir.write("in.jsonl", "first\nlast"));
  std::string line;
  BOOST_TEST(reader.next(line));
  BOOST_TEST(reader.line_terminated());
  BOOST_TEST(reader.end_offset() == 6u);
  BOOST_TEST(reader.next(line));
  BOOST_TEST(line == "last");
  BOOST_TEST(!reader.line_terminated());
  BOOST_TEST(reader.end_offset() == 10u);
  BOOST_TEST(!reader.next(line));
  BOOST_TEST(reader.line_number() == 2u);
}

BOOST_AUTO_TEST_CASE(empty_file_has_no_lines) {
  temp_dir dir;
  BOOST_TEST(read_all(dir.write("in.jsonl", "")).empty());
}

BOOST_AUTO_TEST_CASE(reads_lines_longer_than_its_buffer) {
  temp_dir dir;
  const std::string huge(3 * 1024 * 1024 + 17, 'x');
  const auto lines = read_all(dir.write("in.jsonl", "short\n" + huge + "\r\n" + huge));
  BOOST_TEST_REQUIRE(lines.size() == 3u);
  BOOST_TEST(lines[0] == "short");
  BOOST_TEST(lines[1].size() == huge.size());
  BOOST_TEST((lines[1] == huge));
  BOOST_TEST((lines[2] == huge));
}

BOOST_AUTO_TEST_CASE(lines_across_buffer_boundaries_stay_whole) {
  temp_dir dir;
  std::string content;
  std::vector<std::string> expected;
  for (int i = 0; content.size() < 3 * 1024 * 1024; ++i) {
    expected.push_back("{\"id\":" + std::to_string(i) + ",\"pad\":\"" + std::string(i % 97, 'p') +
                       "\"}");
    content += expected.back() + (i % 3 == 0 ? "\r\n" : "\n");
  }
  BOOST_TEST(read_all(dir.write("in.jsonl", content)) == expected);
}

BOOST_AUTO_TEST_CASE(open_failure_is_a_value_naming_the_path) {
  temp_dir dir;
  const auto path = dir.file("missing.jsonl");
  line_reader reader(path);
  BOOST_TEST(reader.error() == path + ": No such file or directory");
  std::string line;
  BOOST_TEST(!reader.next(line));
}

BOOST_AUTO_TEST_CASE(reading_a_directory_reports_the_error) {
  temp_dir dir;
  line_reader reader(dir.file(""));
  std::string line;
  BOOST_TEST(!reader.next(line));
  BOOST_TEST(reader.error().find("Is a directory") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(count_lines_counts_lines_with_content) {
  temp_dir dir;
  const auto path = dir.write("in.jsonl", "{}\n\n   \n\t\r\n {\"a\":1}\r\n{}");
  const auto count = line_reader::count_lines(path);
  BOOST_TEST_REQUIRE(count.has_value());
  BOOST_TEST(*count == 3u);
}

BOOST_AUTO_TEST_CASE(count_lines_handles_blank_runs_across_buffers) {
  temp_dir dir;
  const std::string blanks(1024 * 1024 + 5, ' ');
  const auto path = dir.write("in.jsonl", "a\n" + blanks + "b\n" + blanks + "\n" + "c");
  const auto count = line_reader::count_lines(path);
  BOOST_TEST_REQUIRE(count.has_value());
  BOOST_TEST(*count == 3u);
}

BOOST_AUTO_TEST_CASE(count_lines_is_unknown_for_stdin_and_missing_files) {
  temp_dir dir;
  BOOST_TEST(!line_reader::count_lines("-").has_value());
  BOOST_TEST(!line_reader::count_lines(dir.file("missing.jsonl")).has_value());
}

BOOST_AUTO_TEST_CASE(would_block_only_when_a_pipe_has_no_whole_line) {
  int ends[2];
  BOOST_TEST_REQUIRE(::pipe(ends) == 0);
  BOOST_TEST_REQUIRE(::dup2(ends[0], STDIN_FILENO) >= 0);
  ::close(ends[0]);
  line_reader reader("-");
  BOOST_TEST(reader.would_block());  // nothing written yet
  BOOST_TEST(::write(ends[1], "a\nb\npart", 8) == 8);
  BOOST_TEST(!reader.would_block());
  std::string line;
  BOOST_TEST(reader.next(line));
  BOOST_TEST(!reader.would_block());  // "b" is buffered
  BOOST_TEST(reader.next(line));
  BOOST_TEST(reader.would_block());  // only half a line, and the writer is silent
  ::close(ends[1]);
  BOOST_TEST(!reader.would_block());  // the end of the input is there to read
  BOOST_TEST(reader.next(line));
  BOOST_TEST(line == "part");
  BOOST_TEST(!reader.identity().has_value());  // a pipe is no file
}

BOOST_AUTO_TEST_CASE(a_file_never_blocks_and_has_an_identity) {
  temp_dir dir;
  line_reader reader(dir.write("in.jsonl", "a\n"));
  BOOST_TEST(!reader.would_block());
  BOOST_TEST(reader.identity().has_value());
}
