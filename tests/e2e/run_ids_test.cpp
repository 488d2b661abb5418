#define BOOST_TEST_MODULE e2e_run_ids
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

// Every item fails at once: for --retry-failed, which runs them again with fail_rate 0.
const char* const failing_job = R"(version: 1
provider: { kind: sim, fail_rate: 1, fail_status: 500 }
limits: { max_retries: 0 }
nodes:
  greet: { prompt: "Say hello to {{name}}" }
)";

// DIR/job.yaml over DIR/in.jsonl into DIR/out.jsonl, without a progress line.
process_result run(const temp_dir& dir, std::vector<std::string> extra = {}) {
  extra.push_back("--no-progress");
  return run_process(run_args(dir, "job.yaml", "in.jsonl", std::move(extra)), dir.path());
}

// The output lines by input line number; fails the test if a line number is there twice.
std::map<int, json> by_line(const std::vector<json>& lines) {
  std::map<int, json> out;
  for (const auto& line : lines) {
    BOOST_TEST_REQUIRE(out.emplace(line.at("line").get<int>(), line).second);
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(ids_keep_their_json_type) {
  temp_dir dir;
  write_file(dir / "job.yaml", job_yaml);
  write_file(dir / "in.jsonl",
             "{\"id\": 7, \"name\": \"a\"}\n"
             "{\"id\": \"7\", \"name\": \"b\"}\n"
             "{\"id\": -2, \"name\": \"c\"}\n");
  const auto result = run(dir, {"--ordered"});
  BOOST_TEST(result.exit_code == 0, result.err);
  const auto lines = read_jsonl(dir / "out.jsonl");
  BOOST_TEST_REQUIRE(lines.size() == 3u);
  BOOST_TEST(lines[0].at("id") == 7);
  BOOST_TEST(lines[0].at("id").is_number());
  BOOST_TEST(lines[1].at("id") == "7");
  BOOST_TEST(lines[2].at("id") == -2);
  BOOST_TEST(read_file(dir / "out.jsonl").starts_with(R"({"id":7,"line":1,"status":"ok",)"));
}

BOOST_AUTO_TEST_CASE(a_broken_line_never_collides_with_a_real_id) {
  temp_dir dir;
  write_file(dir / "job.yaml", job_yaml);
  // Ids 0..5; line 4 is broken. Were it known as "4", the real id 4 would be its duplicate.
  write_file(dir / "in.jsonl",
             "{\"id\": 0, \"name\": \"n0\"}\n"
             "{\"id\": 1, \"name\": \"n1\"}\n"
             "{\"id\": 2, \"name\": \"n2\"}\n"
             "{\"id\": 3, \"name\": \n"
             "{\"id\": 3, \"name\": \"n3\"}\n"
             "{\"id\": 4, \"name\": \"n4\"}\n"
             "{\"id\": 5, \"name\": \"n5\"}\n");
  const auto result = run(dir);
  BOOST_TEST(result.exit_code == 3);
  const auto lines = by_line(read_jsonl(dir / "out.jsonl"));
  BOOST_TEST_REQUIRE(lines.size() == 7u);
  BOOST_TEST(lines.at(4).at("id").is_null());
  BOOST_TEST(lines.at(4).at("status") == "failed");
  BOOST_TEST(lines.at(4).at("error").get<std::string>().starts_with("line 4: not a JSON object"));
  for (int line : {1, 2, 3, 5, 6, 7}) {
    BOOST_TEST_INFO("line " << line);
    BOOST_TEST(lines.at(line).at("status") == "ok");
    BOOST_TEST(lines.at(line).at("id") == (line < 4 ? line - 1 : line - 2));
  }
}

BOOST_AUTO_TEST_CASE(every_line_carries_its_input_line_and_an_id_less_item_runs) {
  temp_dir dir;
  write_file(dir / "job.yaml", job_yaml);
  write_file(dir / "in.jsonl",
             "{\"id\": \"a\", \"name\": \"Ann\"}\n"
             "\n"
             "{\"name\": \"Bo\"}\n"
             "{\"id\": \"c\", \"name\": \"Cy\"}\n");
  const auto result = run(dir);
  BOOST_TEST(result.exit_code == 0, result.err);
  const auto lines = by_line(read_jsonl(dir / "out.jsonl"));
  BOOST_TEST_REQUIRE(lines.size() == 3u);
  BOOST_TEST(lines.at(1).at("id") == "a");
  BOOST_TEST(lines.at(3).at("id").is_null());
  BOOST_TEST(lines.at(3).at("status") == "ok");
  BOOST_TEST(lines.at(3).at("output").get<std::string>().find("Bo") != std::string::npos);
  BOOST_TEST(lines.at(4).at("id") == "c");
}

BOOST_AUTO_TEST_CASE(resume_on_a_complete_output_changes_nothing_however_often) {
  temp_dir dir;
  write_file(dir / "job.yaml", job_yaml);
  write_file(dir / "in.jsonl",
             "{\"id\": 0, \"name\": \"a\"}\n"
             "not json\n"
             "{\"name\": \"no id\"}\n"
             "[1]\n"
             "{\"id\": 0, \"name\": \"duplicate\"}\n"
             "{\"id\": 1, \"name\": \"b\"}\n");
  BOOST_TEST(run(dir).exit_code == 3);
  const auto first = read_file(dir / "out.jsonl");
  BOOST_TEST(parse_jsonl(first).size() == 6u);
  for (int i = 0; i < 2; ++i) {
    const auto resumed = run(dir, {"--resume"});
    BOOST_TEST(resumed.exit_code == 0, resumed.err);
    BOOST_TEST(read_file(dir / "out.jsonl") == first);
  }
}

BOOST_AUTO_TEST_CASE(resume_finds_id_less_lines_by_their_line_number) {
  temp_dir dir;
  write_file(dir / "job.yaml", job_yaml);
  write_file(dir / "in.jsonl",
             "{\"name\": \"one\"}\n"
             "{\"name\": \"two\"}\n"
             "not json\n"
             "{\"name\": \"four\"}\n");
  // An earlier run wrote lines 1 and 3 only.
  write_file(dir / "out.jsonl",
             "{\"id\":null,\"line\":1,\"status\":\"ok\",\"output\":\"earlier\"}\n"
             "{\"id\":null,\"line\":3,\"status\":\"failed\",\"output\":null}\n");
  const auto result = run(dir, {"--resume"});
  BOOST_TEST(result.exit_code == 0, result.err);
  const auto lines = by_line(read_jsonl(dir / "out.jsonl"));
  BOOST_TEST_REQUIRE(lines.size() == 4u);
  BOOST_TEST(lines.at(1).at("output") == "earlier");
  BOOST_TEST(lines.at(2).at("output").get<std::string>().find("two") != std::string::npos);
  BOOST_TEST(lines.at(4).at("output").get<std::string>().find("four") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(retry_failed_runs_failed_items_again_and_keeps_each_id_once) {
  temp_dir dir;
  write_file(dir / "job.yaml", failing_job);
  std::string input = "not json\n{\"id\": 0, \"name\": \"a\"}\n{\"id\": 0, \"name\": \"dup\"}\n";
  for (int i = 1; i <= 20; ++i) {
    input += "{\"id\": " + std::to_string(i) + ", \"name\": \"n" + std::to_string(i) + "\"}\n";
  }
  write_file(dir / "in.jsonl", input);
  BOOST_TEST(run(dir).exit_code == 3);
  const auto failed = read_file(dir / "out.jsonl");
  BOOST_TEST(parse_jsonl(failed).size() == 23u);

  // Without --retry-failed, --resume leaves failed items as they are.
  BOOST_TEST(run(dir, {"--resume", "--set", "provider.fail_rate=0"}).exit_code == 0);
  BOOST_TEST(read_file(dir / "out.jsonl") == failed);

  const auto retried = run(dir, {"--resume", "--retry-failed", "--set", "provider.fail_rate=0"});
  BOOST_TEST(retried.exit_code == 3, retried.err);  // the broken line and the duplicate
  const auto lines = by_line(read_jsonl(dir / "out.jsonl"));
  BOOST_TEST_REQUIRE(lines.size() == 23u);
  BOOST_TEST(lines.at(1).at("status") == "failed");
  BOOST_TEST(lines.at(2).at("status") == "ok");
  BOOST_TEST(lines.at(3).at("status") == "failed");
  BOOST_TEST(lines.at(3).at("error") == "line 3: duplicate id 0 (first on line 2)");
  for (int line = 4; line <= 23; ++line) BOOST_TEST(lines.at(line).at("status") == "ok");
  // Nothing left to retry but what cannot succeed: a second retry changes nothing.
  const auto settled = read_file(dir / "out.jsonl");
  BOOST_TEST(run(dir, {"--resume", "--retry-failed", "--set", "provider.fail_rate=0"}).exit_code ==
             3);
  BOOST_TEST(by_line(read_jsonl(dir / "out.jsonl")).size() == 23u);
  BOOST_TEST(read_file(dir / "out.jsonl").size() == settled.size());
}

BOOST_AUTO_TEST_CASE(a_failed_duplicate_of_an_ok_item_stays_through_a_retry) {
  temp_dir dir;
  write_file(dir / "job.yaml", job_yaml);
  write_file(dir / "in.jsonl",
             "{\"id\": \"a\", \"name\": \"x\"}\n{\"id\": \"a\", \"name\": \"y\"}\n");
  BOOST_TEST(run(dir).exit_code == 3);
  const auto before = read_file(dir / "out.jsonl");
  BOOST_TEST(run(dir, {"--resume", "--retry-failed"}).exit_code == 0);
  BOOST_TEST(read_file(dir / "out.jsonl") == before);
}

BOOST_AUTO_TEST_CASE(retry_failed_without_resume_is_a_usage_error) {
  temp_dir dir;
  write_file(dir / "job.yaml", job_yaml);
  write_file(dir / "in.jsonl", "{\"id\": 1, \"name\": \"a\"}\n");
  const auto result = run(dir, {"--retry-failed"});
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(result.err.find("--resume") != std::string::npos, result.err);
  BOOST_TEST(!std::filesystem::exists(dir / "out.jsonl"));
  const auto help = run_process(parallm_args({"run", "--help"}), dir.path());
  BOOST_TEST(help.out.find("--retry-failed") != std::string::npos, help.out);
}

BOOST_AUTO_TEST_CASE(resume_or_retry_failed_into_stdout_is_a_usage_error) {
  temp_dir dir;
  write_file(dir / "job.yaml", job_yaml);
  write_file(dir / "in.jsonl", "{\"id\": 1, \"name\": \"a\"}\n");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--resume"}, "--resume needs an output file, not '-'"},
      {{"--resume", "--retry-failed"}, "--retry-failed needs an output file, not '-'"}};
  for (const auto& [flags, message] : cases) {
    std::vector<std::string> args{"run",          (dir / "job.yaml").string(),
                                  "--input",      (dir / "in.jsonl").string(),
                                  "--output",     "-",
                                  "--no-progress"};
    args.insert(args.end(), flags.begin(), flags.end());
    const auto result = run_process(parallm_args(args), dir.path());
    BOOST_TEST(result.exit_code == 2, result.err);
    BOOST_TEST(result.err.find(message) != std::string::npos, result.err);
    BOOST_TEST(result.out.empty(), result.out);  // nothing was run
  }
}
