#define BOOST_TEST_MODULE e2e_run_bad_input
#include <boost/test/unit_test.hpp>

#include "e2e.hpp"

using namespace parallm::test;
using nlohmann::json;

namespace {

const char* const job_yaml = R"(version: 1
provider: { kind: sim }
nodes:
  greet: { prompt: "Say hello to {{name}}" }
)";

}  // namespace

BOOST_AUTO_TEST_CASE(bad_lines_fail_alone_and_lose_nothing) {
  temp_dir dir;
  write_file(dir / "job.yaml", job_yaml);
  write_file(dir / "in.jsonl",
             "{\"id\": \"a\", \"name\": \"Ann\"}\n"    // 1 ok
             "this is not json\n"                      // 2 not JSON
             "\n"                                      // 3 empty: skipped
             "[1, 2]\n"                                // 4 not an object
             "{\"id\": \"a\", \"name\": \"Again\"}\n"  // 5 duplicate id
             "{\"id\": \"c\", \"nom\": \"Cy\"}\n"      // 6 missing template variable
             "{\"id\": 7, \"name\": \"Bo\"}\n"         // 7 ok, integer id
             "{\"name\": \"Di\"}\n"                    // 8 ok, no id: known by its line
             "{\"id\": \"e\", \"name\": \"Ed\"}");     // 9 ok, no final newline
  const auto result = run_process(run_args(dir, "job.yaml", "in.jsonl"), dir.path());
  BOOST_TEST(result.exit_code == 3);
  const auto lines = read_jsonl(dir / "out.jsonl");
  BOOST_TEST(lines.size() == 8u);

  // The duplicate keeps its id, so "a" is there twice: once ok, once failed. Lines without
  // a readable id have a null id and are known by their line.
  std::map<std::string, std::vector<json>> by;
  for (const auto& line : lines) by[id_key(line)].push_back(line);
  BOOST_TEST(by["a"].size() == 2u);
  int ok_a = 0;
  for (const auto& a : by["a"]) {
    if (a.at("status") == "ok") {
      ++ok_a;
      BOOST_TEST(a.at("line") == 1);
    } else {
      BOOST_TEST(a.at("line") == 5);
      BOOST_TEST(a.at("error") == "line 5: duplicate id \"a\" (first on line 1)");
    }
  }
  BOOST_TEST(ok_a == 1);
  for (const auto* broken : {"line 2", "line 4"}) {
    BOOST_TEST_INFO(broken);
    BOOST_TEST(by[broken].at(0).at("id").is_null());
    BOOST_TEST(by[broken].at(0).at("status") == "failed");
    BOOST_TEST(by[broken].at(0).at("error").get<std::string>().find(broken) != std::string::npos);
  }
  BOOST_TEST(by["c"].at(0).at("status") == "failed");
  BOOST_TEST(by["c"].at(0).at("error").get<std::string>().find("'name'") != std::string::npos);
  BOOST_TEST(by["c"].at(0).at("error").get<std::string>().find("line 6") != std::string::npos);
  BOOST_TEST(by["7"].at(0).at("id") == 7);
  BOOST_TEST(by["7"].at(0).at("status") == "ok");
  BOOST_TEST(by["line 8"].at(0).at("id").is_null());
  BOOST_TEST(by["line 8"].at(0).at("status") == "ok");
  BOOST_TEST(by["e"].at(0).at("status") == "ok");
  BOOST_TEST(by["e"].at(0).at("line") == 9);
  BOOST_TEST(by["e"].at(0).at("output").get<std::string>().find("Ed") != std::string::npos);
  BOOST_TEST(result.err.find("failed") != std::string::npos);  // the closing summary
}

BOOST_AUTO_TEST_CASE(a_job_file_error_exits_2_before_any_work) {
  temp_dir dir;
  write_file(dir / "job.yaml",
             "version: 1\nprovider: { kind: sim }\nnodes:\n  a: { prompt: \"x\" }\n"
             "  b:\n    after: [a, nope]\n    reduce: collect\n");
  write_file(dir / "in.jsonl", "{\"id\": 1}\n");
  const auto result = run_process(run_args(dir, "job.yaml", "in.jsonl"), dir.path());
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(result.err.find("job.yaml:6:") != std::string::npos, result.err);
  BOOST_TEST(result.err.find("nope") != std::string::npos);
  BOOST_TEST(!std::filesystem::exists(dir / "out.jsonl"));
}

BOOST_AUTO_TEST_CASE(an_unreadable_input_exits_2_naming_it) {
  temp_dir dir;
  write_file(dir / "job.yaml", job_yaml);
  const auto result = run_process(run_args(dir, "job.yaml", "missing.jsonl"), dir.path());
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(result.err.find("missing.jsonl") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_missing_job_file_exits_2) {
  temp_dir dir;
  write_file(dir / "in.jsonl", "{\"id\": 1}\n");
  const auto result = run_process(run_args(dir, "nojob.yaml", "in.jsonl"), dir.path());
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(result.err.find("nojob.yaml") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_usage_exits_2) {
  temp_dir dir;
  const auto result = run_process(parallm_args({"run", "--bogus"}), dir.path());
  BOOST_TEST(result.exit_code == 2);
}
