#define BOOST_TEST_MODULE retry_failed
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "batch/retry_failed.hpp"
#include "temp_dir.hpp"

using parallm::batch::drop_failed_results;
using parallm::batch::testing::temp_dir;

namespace {

const std::string ok_a = R"({"id":"a","line":1,"status":"ok"})";
const std::string failed_b = R"({"id":"b","line":2,"status":"failed","error":"x"})";
const std::string partial_c = R"({"id":3,"line":3,"status":"partial"})";
const std::string broken_4 = R"({"id":null,"line":4,"status":"failed","error":"line 4: ..."})";
const std::string ok_5 = R"({"id":null,"line":5,"status":"ok"})";

std::size_t files_in(const std::string& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(failed_and_partial_results_are_taken_out_the_rest_kept_in_order) {
  temp_dir dir;
  const auto path = dir.write("out.jsonl", ok_a + "\n" + failed_b + "\n" + partial_c + "\n" +
                                               broken_4 + "\n" + ok_5 + "\n");
  const auto rewrite = drop_failed_results(path);
  BOOST_TEST(rewrite.error.empty());
  BOOST_TEST(rewrite.dropped == 3u);
  BOOST_TEST(dir.read("out.jsonl") == ok_a + "\n" + ok_5 + "\n");
  BOOST_TEST(files_in(dir.file("")) == 1u);  // no temp file left behind
}

BOOST_AUTO_TEST_CASE(a_failed_duplicate_of_a_kept_id_stays) {
  temp_dir dir;
  const auto dup = R"({"id":"a","line":7,"status":"failed","error":"line 7: duplicate id"})";
  const auto content = std::string(dup) + "\n" + ok_a + "\n";
  const auto path = dir.write("out.jsonl", content);
  const auto rewrite = drop_failed_results(path);
  BOOST_TEST(rewrite.dropped == 0u);
  BOOST_TEST(dir.read("out.jsonl") == content);
}

BOOST_AUTO_TEST_CASE(lines_that_are_not_results_and_a_torn_tail_are_copied) {
  temp_dir dir;
  const auto path = dir.write("out.jsonl", "garbage\n" + failed_b + "\n\n" + ok_a + "\n{\"id\":");
  BOOST_TEST(drop_failed_results(path).dropped == 1u);
  BOOST_TEST(dir.read("out.jsonl") == "garbage\n\n" + ok_a + "\n{\"id\":");
}

BOOST_AUTO_TEST_CASE(batch_output_lines_are_judged_by_their_error) {
  temp_dir dir;
  const auto good =
      R"({"id":"batch_req_1","custom_id":"r1","response":{"status_code":400},"error":null})";
  const auto bad = R"({"id":"batch_req_2","custom_id":"r2","response":null,"error":{"code":"x"}})";
  const auto path = dir.write("out.jsonl", std::string(good) + "\n" + bad + "\n");
  BOOST_TEST(drop_failed_results(path, "custom_id").dropped == 1u);
  BOOST_TEST(dir.read("out.jsonl") == std::string(good) + "\n");
}

BOOST_AUTO_TEST_CASE(the_file_keeps_its_mode) {
  temp_dir dir;
  const auto path = dir.write("out.jsonl", failed_b + "\n");
  ::chmod(path.c_str(), 0640);
  BOOST_TEST(drop_failed_results(path).error.empty());
  struct stat st {};
  BOOST_TEST_REQUIRE(::stat(path.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0640u);
  BOOST_TEST(dir.read("out.jsonl").empty());
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_left_missing) {
  temp_dir dir;
  const auto rewrite = drop_failed_results(dir.file("out.jsonl"));
  BOOST_TEST(rewrite.error.empty());
  BOOST_TEST(rewrite.dropped == 0u);
  BOOST_TEST(!std::filesystem::exists(dir.file("out.jsonl")));
}

BOOST_AUTO_TEST_CASE(an_unwritable_directory_is_an_error_and_the_file_is_untouched) {
  if (::geteuid() == 0) return;  // root writes anywhere
  temp_dir dir;
  const auto path = dir.write("out.jsonl", failed_b + "\n");
  ::chmod(dir.file("").c_str(), 0500);
  const auto rewrite = drop_failed_results(path);
  ::chmod(dir.file("").c_str(), 0700);
  BOOST_TEST(!rewrite.error.empty());
  BOOST_TEST(dir.read("out.jsonl") == failed_b + "\n");
}
