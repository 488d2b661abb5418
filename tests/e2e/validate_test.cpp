#define BOOST_TEST_MODULE e2e_validate
#include <boost/test/unit_test.hpp>

#include "e2e.hpp"

using namespace parallm::test;

BOOST_AUTO_TEST_CASE(every_example_is_valid_with_its_input) {
  temp_dir dir;
  for (const auto* name : {"batch_map", "sectioning", "voting", "map_reduce", "partial_failure"}) {
    const auto result =
        run_process(parallm_args({"validate", example(name, "job.yaml").string(), "--input",
                                  example(name, "input.jsonl").string()}),
                    dir.path());
    BOOST_TEST(result.exit_code == 0, name << ": " << result.err);
  }
}

BOOST_AUTO_TEST_CASE(all_job_errors_are_reported_at_once) {
  temp_dir dir;
  write_file(dir / "job.yaml", R"(version: 1
provider: { kind: sim }
limits: { concurrency: -4 }
nodes:
  a: { prompt: "{{x}}", samples: 3 }
  v: { after: [a], reduce: vote, quorum: 5 }
  w: { after: [a], reduce: blend }
  s: { foreach: a, prompt: "{{item}}" }
)");
  const auto result =
      run_process(parallm_args({"validate", (dir / "job.yaml").string()}), dir.path());
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(result.err.find("limits.concurrency") != std::string::npos, result.err);
  BOOST_TEST(result.err.find("quorum") != std::string::npos, result.err);
  BOOST_TEST(result.err.find("blend") != std::string::npos, result.err);
  BOOST_TEST(result.err.find("not a split") != std::string::npos, result.err);
}

BOOST_AUTO_TEST_CASE(input_problems_name_their_lines) {
  temp_dir dir;
  write_file(dir / "job.yaml", "version: 1\nnodes:\n  a: { prompt: \"Hi {{name}}\" }\n");
  write_file(dir / "in.jsonl",
             "{\"id\": 1, \"name\": \"a\"}\n{\"id\": 1, \"name\": \"b\"}\nnot json\n"
             "{\"id\": 3}\n");
  const auto result = run_process(parallm_args({"validate", (dir / "job.yaml").string(), "--input",
                                                (dir / "in.jsonl").string()}),
                                  dir.path());
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(result.err.find("in.jsonl:2: duplicate id 1 (first on line 1)") != std::string::npos,
             result.err);
  BOOST_TEST(result.err.find("in.jsonl:3:") != std::string::npos, result.err);
  BOOST_TEST(result.err.find("in.jsonl:4: missing template variable 'name'") != std::string::npos,
             result.err);
}
