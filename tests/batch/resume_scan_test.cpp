#define BOOST_TEST_MODULE resume_scan
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <string>

#include "batch/resume_scan.hpp"
#include "temp_dir.hpp"

using parallm::batch::resume_scan;
using parallm::batch::testing::temp_dir;

namespace {

const std::string line_a = R"({"id": "a", "status": "ok"})";
const std::string line_b = R"({"id": "7", "status": "failed", "error": "x"})";
const std::string line_c = R"({"id": "c", "status": "partial"})";

}  // namespace

BOOST_AUTO_TEST_CASE(missing_file_means_nothing_to_resume) {
  temp_dir dir;
  const auto state = resume_scan(dir.file("out.jsonl"));
  BOOST_TEST(state.error.empty());
  BOOST_TEST(state.ids.size() == 0u);
  BOOST_TEST(state.lines_kept == 0u);
  BOOST_TEST(state.bytes_truncated == 0u);
}

BOOST_AUTO_TEST_CASE(complete_file_is_collected_and_left_alone) {
  temp_dir dir;
  const auto content = line_a + "\n" + line_b + "\n" + line_c + "\n";
  const auto state = resume_scan(dir.write("out.jsonl", content));
  BOOST_TEST(state.error.empty());
  BOOST_TEST(state.lines_kept == 3u);
  BOOST_TEST(state.bad_lines == 0u);
  BOOST_TEST(state.bytes_truncated == 0u);
  BOOST_TEST(state.ids.contains("a"));
  BOOST_TEST(state.ids.contains("7"));
  BOOST_TEST(state.ids.contains("c"));
  BOOST_TEST(!state.ids.contains("b"));
  BOOST_TEST(dir.read("out.jsonl") == content);
}

BOOST_AUTO_TEST_CASE(torn_last_line_without_newline_is_cut_from_the_file) {
  temp_dir dir;
  const std::string torn = R"({"id": "c", "stat)";
  const auto state = resume_scan(dir.write("out.jsonl", line_a + "\n" + line_b + "\n" + torn));
  BOOST_TEST(state.error.empty());
  BOOST_TEST(state.lines_kept == 2u);
  BOOST_TEST(state.bytes_truncated == torn.size());
  BOOST_TEST(!state.ids.contains("c"));
  BOOST_TEST(dir.read("out.jsonl") == line_a + "\n" + line_b + "\n");
}

BOOST_AUTO_TEST_CASE(a_complete_object_without_newline_is_still_torn) {
  temp_dir dir;
  const auto state = resume_scan(dir.write("out.jsonl", line_a + "\n" + line_c));
  BOOST_TEST(state.lines_kept == 1u);
  BOOST_TEST(!state.ids.contains("c"));
  BOOST_TEST(state.bytes_truncated == line_c.size());
  BOOST_TEST(dir.read("out.jsonl") == line_a + "\n");
}

BOOST_AUTO_TEST_CASE(unparsable_last_line_with_newline_is_cut) {
  temp_dir dir;
  const std::string torn = "{\"id\": \"c\", \"st\r\n";
  const auto state = resume_scan(dir.write("out.jsonl", line_a + "\n" + torn));
  BOOST_TEST(state.lines_kept == 1u);
  BOOST_TEST(state.bad_lines == 0u);
  BOOST_TEST(state.bytes_truncated == torn.size());
  BOOST_TEST(dir.read("out.jsonl") == line_a + "\n");
}

BOOST_AUTO_TEST_CASE(only_a_torn_line_leaves_an_empty_file) {
  temp_dir dir;
  const auto state = resume_scan(dir.write("out.jsonl", "{\"id\""));
  BOOST_TEST(state.error.empty());
  BOOST_TEST(state.lines_kept == 0u);
  BOOST_TEST(state.bytes_truncated == 5u);
  BOOST_TEST(dir.read("out.jsonl").empty());
}

BOOST_AUTO_TEST_CASE(bad_middle_lines_are_counted_and_kept) {
  temp_dir dir;
  const auto content =
      line_a + "\n" + "garbage{\n" + "[1,2]\n" + R"({"id": 5})" + "\n\n" + line_c + "\n";
  const auto state = resume_scan(dir.write("out.jsonl", content));
  BOOST_TEST(state.error.empty());
  BOOST_TEST(state.lines_kept == 2u);
  BOOST_TEST(state.bad_lines == 3u);
  BOOST_TEST(state.bytes_truncated == 0u);
  BOOST_TEST(state.ids.contains("a"));
  BOOST_TEST(state.ids.contains("c"));
  BOOST_TEST(!state.ids.contains("5"));
  BOOST_TEST(dir.read("out.jsonl") == content);
}

BOOST_AUTO_TEST_CASE(bad_middle_line_and_torn_tail_together) {
  temp_dir dir;
  const auto state = resume_scan(dir.write("out.jsonl", line_a + "\nnot json\n" + line_b + "\n{"));
  BOOST_TEST(state.lines_kept == 2u);
  BOOST_TEST(state.bad_lines == 1u);
  BOOST_TEST(state.bytes_truncated == 1u);
  BOOST_TEST(dir.read("out.jsonl") == line_a + "\nnot json\n" + line_b + "\n");
}

BOOST_AUTO_TEST_CASE(integer_ids_of_a_long_run_are_all_collected) {
  temp_dir dir;
  std::string content;
  for (int i = 0; i < 20000; ++i) content += R"({"id": ")" + std::to_string(i) + "\"}\n";
  const auto state = resume_scan(dir.write("out.jsonl", content));
  BOOST_TEST(state.lines_kept == 20000u);
  BOOST_TEST(state.ids.size() == 20000u);
  BOOST_TEST(state.ids.integer_runs() == 1u);
}

BOOST_AUTO_TEST_CASE(stdout_cannot_be_resumed) {
  BOOST_TEST(!resume_scan("-").error.empty());
}

BOOST_AUTO_TEST_CASE(unreadable_file_is_an_error) {
  temp_dir dir;
  const auto state = resume_scan(dir.file(""));
  BOOST_TEST(state.error.find("Is a directory") != std::string::npos);
}
