#define BOOST_TEST_MODULE e2e_cli
#include <boost/test/unit_test.hpp>

#include "e2e.hpp"

using namespace parallm::test;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

const std::string k_sim_job = R"(version: 1
provider:
  kind: sim
  latency_ms: 20
  jitter_ms: 5
nodes:
  a: { prompt: "hi {{x}}" }
)";

}  // namespace

BOOST_AUTO_TEST_SUITE(commands)

BOOST_AUTO_TEST_CASE(an_unknown_command_is_named) {
  temp_dir dir;
  const auto result = run_process(parallm_args({"rnu", "job.yaml"}), dir.path());
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(has(result.err, "parallm: unknown command 'rnu'"), result.err);
}

BOOST_AUTO_TEST_CASE(help_describes_the_commands_of_this_build) {
  temp_dir dir;
  const auto top = run_process(parallm_args({"help"}), dir.path());
  BOOST_TEST(top.exit_code == 0, top.err);
  BOOST_TEST(has(top.out, "Run a batch in this process"), top.out);
  BOOST_TEST(has(top.out, "Check a job file"), top.out);
  BOOST_TEST(has(top.out, "Run a batch on a coordinator's workers"), top.out);
  BOOST_TEST(has(top.out, "coordinator"), top.out);
  BOOST_TEST(has(top.out, "Run a coordinator's calls"), top.out);
  const auto worker = run_process(parallm_args({"help", "worker"}), dir.path());
  BOOST_TEST(worker.exit_code == 0, worker.err);
  BOOST_TEST(has(worker.out, "--connect"), worker.out);
  BOOST_TEST(has(worker.out, "--endpoint-map"), worker.out);
  const auto run = run_process(parallm_args({"help", "run"}), dir.path());
  BOOST_TEST(run.exit_code == 0, run.err);
  BOOST_TEST(has(run.out, "--input"), run.out);
  BOOST_TEST(has(run.out, "--provider"), run.out);
  const auto submit = run_process(parallm_args({"help", "submit"}), dir.path());
  BOOST_TEST(submit.exit_code == 0, submit.err);
  BOOST_TEST(has(submit.out, "--coordinator"), submit.out);
  BOOST_TEST(!has(submit.out, "--workers"), submit.out);
  const auto unknown = run_process(parallm_args({"help", "sbumit"}), dir.path());
  BOOST_TEST(unknown.exit_code == 2);
  BOOST_TEST(has(unknown.err, "unknown command 'sbumit'"), unknown.err);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(settings_from_the_command_line)

BOOST_AUTO_TEST_CASE(a_set_value_that_reads_as_structure_names_set_and_suggests_quotes) {
  temp_dir dir;
  write_file(dir / "job.yaml", k_sim_job);
  const auto result = run_process(
      parallm_args({"validate", (dir / "job.yaml").string(), "--set", "nodes.a.prompt=Say: {{x}}"}),
      dir.path());
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(has(result.err, "--set: nodes.a.prompt: expected a string, got a map"), result.err);
  BOOST_TEST(has(result.err, "quote"), result.err);
  BOOST_TEST(!has(result.err, "job.yaml: nodes.a.prompt"), result.err);
}

BOOST_AUTO_TEST_CASE(changing_the_kind_drops_the_old_kinds_fields_saying_so_once) {
  temp_dir dir;
  write_file(dir / "job.yaml", k_sim_job);
  write_file(dir / "in.jsonl", "");
  const auto run =
      run_process(run_args(dir, "job.yaml", "in.jsonl",
                           {"--provider", "openai", "--base-url", "http://127.0.0.1:9/v1", "--set",
                            "provider.model=m", "--no-progress"}),
                  dir.path());
  BOOST_TEST(run.exit_code == 0, run.err);
  BOOST_TEST(count(run.err, "ignoring the job's provider.latency_ms, provider.jitter_ms") == 1u,
             run.err);
}

BOOST_AUTO_TEST_CASE(validate_takes_the_shorthands_of_run) {
  temp_dir dir;
  write_file(dir / "job.yaml", k_sim_job);
  const auto result =
      run_process(parallm_args({"validate", (dir / "job.yaml").string(), "--provider", "openai",
                                "--base-url", "http://127.0.0.1:9/v1", "--api-key-env", "MY_KEY",
                                "--concurrency", "8", "--set", "provider.model=m"}),
                  dir.path());
  BOOST_TEST(result.exit_code == 0, result.err);
  BOOST_TEST(count(result.err, "ignoring the job's provider.latency_ms") == 1u, result.err);
  const auto bad = run_process(parallm_args({"validate", (dir / "job.yaml").string(), "--provider",
                                             "openai", "--base-url", "nope"}),
                               dir.path());
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(has(bad.err, "--set: provider.base_url"), bad.err);
}

BOOST_AUTO_TEST_CASE(numbers_out_of_bounds_are_located_errors) {
  temp_dir dir;
  write_file(dir / "job.yaml", R"(version: 1
limits:
  timeout_s: 1e300
  concurrency: 1e12
  backoff_max_s: -1
nodes:
  a: { prompt: "hi {{x}}" }
)");
  const auto result =
      run_process(parallm_args({"validate", (dir / "job.yaml").string()}), dir.path());
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(has(result.err,
                 "job.yaml:3:14: limits.timeout_s: expected a number greater than 0 and at most"),
             result.err);
  BOOST_TEST(has(result.err, "job.yaml:4:16: limits.concurrency"), result.err);
  BOOST_TEST(has(result.err, "job.yaml:5:18: limits.backoff_max_s"), result.err);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(batch_files)

BOOST_AUTO_TEST_CASE(a_plain_input_without_a_job_file_asks_for_the_job) {
  temp_dir dir;
  write_file(dir / "plain.jsonl", "\n{\"id\": 1, \"text\": \"hello\"}\n");
  const auto result =
      run_process(parallm_args({"run", "--input", (dir / "plain.jsonl").string(), "-o",
                                (dir / "out.jsonl").string(), "--no-progress"}),
                  dir.path());
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(has(result.err, (dir / "plain.jsonl").string() +
                                 ": line 2 is not an OpenAI Batch file request (no "
                                 "custom_id/body): did you forget JOB.yaml?"),
             result.err);
  BOOST_TEST(!has(result.err, "missing template variable"), result.err);
}

BOOST_AUTO_TEST_CASE(a_batch_line_with_a_url_the_batch_api_does_not_serve_fails_by_name) {
  temp_dir dir;
  write_file(dir / "batch.jsonl",
             R"({"custom_id": "img", "method": "POST", "url": "/v1/images/generations", )"
             R"("body": {"model": "m", "prompt": "a cat"}})"
             "\n"
             R"({"custom_id": "chat", "method": "POST", "url": "/v1/chat/completions", )"
             R"("body": {"model": "m", "messages": [{"role": "user", "content": "hi"}]}})"
             "\n");
  const auto result = run_process(
      parallm_args({"run", "--input", (dir / "batch.jsonl").string(), "-o",
                    (dir / "out.jsonl").string(), "--provider", "sim", "--no-progress"}),
      dir.path());
  BOOST_TEST(result.exit_code == 3, result.err);
  std::map<std::string, nlohmann::json> lines;
  for (const auto& line : read_jsonl(dir / "out.jsonl")) {
    lines[line.at("id").get<std::string>()] = line;
  }
  BOOST_TEST_REQUIRE(lines.size() == 2u);
  BOOST_TEST(lines["chat"].at("status") == "ok");
  BOOST_TEST(lines["img"].at("status") == "failed");
  const auto error = lines["img"].at("error").get<std::string>();
  BOOST_TEST(has(error, "url '/v1/images/generations' is not an endpoint the Batch API serves"),
             error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(keys)

BOOST_AUTO_TEST_CASE(an_unset_key_variable_for_a_hosted_endpoint_is_warned_about) {
  temp_dir dir;
  ::unsetenv("PARALLM_SURELY_UNSET_KEY");
  write_file(dir / "job.yaml", R"(version: 1
provider: { kind: openai, base_url: "https://api.example.com/v1", model: m, api_key_env: PARALLM_SURELY_UNSET_KEY }
nodes:
  a: { prompt: "hi {{x}}" }
)");
  write_file(dir / "in.jsonl", "");
  const auto hosted =
      run_process(run_args(dir, "job.yaml", "in.jsonl", {"--no-progress"}), dir.path());
  BOOST_TEST(hosted.exit_code == 0, hosted.err);
  BOOST_TEST(count(hosted.err,
                   "parallm: warning: PARALLM_SURELY_UNSET_KEY is not set; calls to "
                   "https://api.example.com/v1 go without an API key") == 1u,
             hosted.err);
  const auto local = run_process(run_args(dir, "job.yaml", "in.jsonl",
                                          {"--no-progress", "--base-url", "http://127.0.0.1:9/v1"}),
                                 dir.path());
  BOOST_TEST(local.exit_code == 0, local.err);
  BOOST_TEST(!has(local.err, "warning"), local.err);
  const auto proxied = run_process(
      run_args(dir, "job.yaml", "in.jsonl",
               {"--no-progress", "--base-url", "https://team:hunter22@proxy.example/v1"}),
      dir.path());
  BOOST_TEST(proxied.exit_code == 0, proxied.err);
  BOOST_TEST(has(proxied.err, "calls to https://team:***@proxy.example/v1 go without"),
             proxied.err);
  BOOST_TEST(!has(proxied.err, "hunter22"), proxied.err);
}

BOOST_AUTO_TEST_SUITE_END()
