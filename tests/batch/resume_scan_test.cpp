#define BOOST_TEST_MODULE resume_scan
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <string>

#include "batch/resume_scan.hpp"
#include "temp_dir.hpp"

using parallm::batch::already_done;
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
  BOOST_TEST(state.ids.contains(R"("a")"));
  BOOST_TEST(state.ids.contains(R"("7")"));
  BOOST_TEST(state.ids.contains(R"("c")"));
  BOOST_TEST(!state.ids.contains(R"("b")"));
  BOOST_TEST(dir.read("out.jsonl") == content);
}

BOOST_AUTO_TEST_CASE(torn_last_line_without_newline_is_cut_from_the_file) {
  temp_dir dir;
  const std::string torn = R"({"id": "c", "stat)";
  const auto state = resume_scan(dir.write("out.jsonl", line_a + "\n" + line_b + "\n" + torn));
  BOOST_TEST(state.error.empty());
  BOOST_TEST(state.lines_kept == 2u);
  BOOST_TEST(state.bytes_truncated == torn.size());
  BOOST_TEST(!state.ids.contains(R"("c")"));
  BOOST_TEST(dir.read("out.jsonl") == line_a + "\n" + line_b + "\n");
}

BOOST_AUTO_TEST_CASE(a_complete_object_without_newline_is_still_torn) {
  temp_dir dir;
  const auto state = resume_scan(dir.write("out.jsonl", line_a + "\n" + line_c));
  BOOST_TEST(state.lines_kept == 1u);
  BOOST_TEST(!state.ids.contains(R"("c")"));
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
      line_a + "\n" + "garbage{\n" + "[1,2]\n" + R"({"id": 1.5})" + "\n\n" + line_c + "\n";
  const auto state = resume_scan(dir.write("out.jsonl", content));
  BOOST_TEST(state.error.empty());
  BOOST_TEST(state.lines_kept == 2u);
  BOOST_TEST(state.bad_lines == 3u);
  BOOST_TEST(state.bytes_truncated == 0u);
  BOOST_TEST(state.ids.contains(R"("a")"));
  BOOST_TEST(state.ids.contains(R"("c")"));
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
  // Written out of order, as an unordered run writes them; each line says where it came from.
  for (int i = 0; i < 20000; ++i) {
    const auto id = i % 2 == 0 ? i + 1 : i - 1;
    content += R"({"id": )" + std::to_string(id) + R"(, "line": )" + std::to_string(id + 1) + "}\n";
  }
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

BOOST_AUTO_TEST_CASE(lines_without_an_id_are_remembered_by_their_line_number) {
  temp_dir dir;
  const auto content = std::string(R"({"id": null, "line": 4, "status": "failed"})") + "\n" +
                       R"({"id": 4, "line": 5, "status": "ok"})" + "\n" +
                       R"({"id": null, "line": 9, "status": "ok"})" + "\n" +
                       R"({"id": null, "status": "ok"})" + "\n";
  const auto state = resume_scan(dir.write("out.jsonl", content));
  BOOST_TEST(state.lines_kept == 3u);
  BOOST_TEST(state.bad_lines == 1u);
  BOOST_TEST(already_done(state, "", 4));
  BOOST_TEST(already_done(state, "", 9));
  BOOST_TEST(!already_done(state, "", 5));
  BOOST_TEST(already_done(state, "4", 5));
  BOOST_TEST(!already_done(state, R"("4")", 5));
  BOOST_TEST(!already_done(state, "9", 9));
}

BOOST_AUTO_TEST_CASE(batch_output_is_resumed_by_custom_id) {
  temp_dir dir;
  const auto content =
      std::string(R"({"id": "batch_req_1", "custom_id": "r-1", "response": null, "error": null})") +
      "\n" + R"({"id": "batch_req_2", "custom_id": null, "line": 3, "response": null})" + "\n";
  const auto state = resume_scan(dir.write("out.jsonl", content), "custom_id");
  BOOST_TEST(state.lines_kept == 2u);
  BOOST_TEST(already_done(state, R"("r-1")", 1));
  BOOST_TEST(!already_done(state, R"("batch_req_1")", 1));
  BOOST_TEST(already_done(state, "", 3));
  BOOST_TEST(!resume_scan(dir.file("out.jsonl")).ids.contains(R"("r-1")"));
}

BOOST_AUTO_TEST_CASE(a_string_id_of_digits_stands_for_the_number_only_in_lines_without_line) {
  temp_dir dir;
  // Written before ids kept their JSON type: 7 was written as "7", and no line said where.
  const auto old_line = std::string(R"({"id": "7", "status": "ok"})");
  const auto new_line = std::string(R"({"id": "8", "line": 3, "status": "ok"})");
  const auto state = resume_scan(dir.write("out.jsonl", old_line + "\n" + new_line + "\n"));
  BOOST_TEST(already_done(state, R"("7")", 1));
  BOOST_TEST(already_done(state, "7", 1));
  BOOST_TEST(already_done(state, R"("8")", 3));
  BOOST_TEST(!already_done(state, "8", 3));
  const auto other = resume_scan(dir.write("b.jsonl", R"({"id": "07", "status": "ok"})"
                                                      "\n"
                                                      R"({"id": "x1", "status": "ok"})"
                                                      "\n"));
  BOOST_TEST(!already_done(other, "7", 1));
  BOOST_TEST(other.ids.size() == 2u);
}
