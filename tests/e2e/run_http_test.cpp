#define BOOST_TEST_MODULE e2e_run_http
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <set>

#include "e2e.hpp"
#include "support/fake_upstream.hpp"

using namespace parallm::test;
using nlohmann::json;

namespace {

constexpr const char* secret_key = "sk-parallm-test-9f8e7d6c5b4a";

// One upstream for the whole suite: starting nginx per case would dominate its time.
struct upstream_fixture {
  upstream_fixture() { ::setenv("PARALLM_TEST_KEY", secret_key, 1); }
  fake_upstream upstream;
};

std::string job_for(const std::string& kind, const std::string& base_url,
                    const std::string& limits = "{ max_retries: 0 }") {
  return "version: 1\nprovider: { kind: " + kind + ", base_url: \"" + base_url +
         "\", model: fake-llm, api_key_env: PARALLM_TEST_KEY }\nlimits: " + limits +
         "\nnodes:\n  call: { prompt: \"item {{i}}: say pong\", max_tokens: 16 }\n";
}

void write_items(const std::filesystem::path& path, int n) {
  std::string text;
  for (int i = 0; i < n; ++i)
    text += "{\"id\": " + std::to_string(i) + ", \"i\": " + std::to_string(i) + "}\n";
  write_file(path, text);
}

struct http_run {
  process_result process;
  std::vector<json> lines;
  double seconds = 0;
};

http_run run_job(const temp_dir& dir, const std::string& job, int items) {
  write_file(dir / "job.yaml", job);
  write_items(dir / "in.jsonl", items);
  http_run run;
  const auto start = std::chrono::steady_clock::now();
  run.process =
      run_process(run_args(dir, "job.yaml", "in.jsonl", {"--no-progress", "--stats", "stats.json"}),
                  dir.path(), std::nullopt, std::chrono::seconds(60));
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.lines = read_jsonl(dir / "out.jsonl");
  BOOST_TEST(by_id(run.lines).size() == static_cast<std::size_t>(items));
  // The key travels in a request header and nowhere else, even when the upstream echoes it.
  BOOST_TEST(run.process.err.find(secret_key) == std::string::npos);
  BOOST_TEST(read_file(dir / "out.jsonl").find(secret_key) == std::string::npos);
  return run;
}

std::size_t count_status(const http_run& run, const std::string& status) {
  std::size_t n = 0;
  for (const auto& line : run.lines) n += line.at("status") == status;
  return n;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(http, upstream_fixture)

BOOST_AUTO_TEST_CASE(openai_success_reads_content_and_usage) {
  temp_dir dir;
  const auto run = run_job(dir, job_for("openai", upstream.base_url("/v1")), 50);
  BOOST_TEST(run.process.exit_code == 0, run.process.err);
  for (const auto& line : run.lines) {
    BOOST_TEST(line.at("output") == "pong");
    BOOST_TEST(line.at("usage").at("prompt_tokens") == 12);
    BOOST_TEST(line.at("usage").at("completion_tokens") == 1);
  }
}

BOOST_AUTO_TEST_CASE(anthropic_success_reads_content_and_usage) {
  temp_dir dir;
  const auto run = run_job(dir, job_for("anthropic", upstream.base_url("/anthropic/v1")), 20);
  BOOST_TEST(run.process.exit_code == 0, run.process.err);
  for (const auto& line : run.lines) {
    BOOST_TEST(line.at("output") == "pong");
    BOOST_TEST(line.at("usage").at("total_tokens") == 13);
  }
}

BOOST_AUTO_TEST_CASE(an_answer_cut_by_max_tokens_keeps_its_finish_reason) {
  for (const auto& [kind, prefix] :
       {std::pair{"openai", "/truncated/v1"}, std::pair{"anthropic", "/truncated/anthropic/v1"}}) {
    temp_dir dir;
    const auto run = run_job(dir, job_for(kind, upstream.base_url(prefix)), 3);
    BOOST_TEST(run.process.exit_code == 0, run.process.err);
    for (const auto& line : run.lines) {
      BOOST_TEST(line.at("status") == "ok");
      BOOST_TEST(line.at("output") == "Once upon");
      BOOST_TEST(line.at("nodes").at("call").at("finish_reason") == "length", kind);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_refusal_fails_the_item_with_the_refusal_text) {
  temp_dir dir;
  const auto run =
      run_job(dir, job_for("openai", upstream.base_url("/refusal/v1"), "{ max_retries: 3 }"), 3);
  BOOST_TEST(run.process.exit_code == 3, run.process.err);
  for (const auto& line : run.lines) {
    BOOST_TEST(line.at("status") == "failed");
    BOOST_TEST(line.at("error") == "node 'call': I can't help with that.");
    BOOST_TEST(line.at("nodes").at("call").at("attempts") == 1);  // final: not retried
  }
}

BOOST_AUTO_TEST_CASE(the_api_key_arrives_in_the_request_header) {
  temp_dir dir;
  auto run = run_job(dir, job_for("openai", upstream.base_url("/echo-headers/v1")), 1);
  BOOST_TEST(run.process.exit_code == 0, run.process.err);
  // The server echoes what it received; the worker cuts exactly the key's value from the
  // answer, so the mark in its place shows that the header carried the key.
  BOOST_TEST(run.lines.at(0).at("output").get<std::string>().find(
                 "authorization=[Bearer [redacted api key]] x-api-key=[]") != std::string::npos);
  temp_dir dir2;
  run = run_job(dir2, job_for("anthropic", upstream.base_url("/echo-headers/v1")), 1);
  BOOST_TEST(run.lines.at(0).at("output").get<std::string>().find(
                 "authorization=[] x-api-key=[[redacted api key]]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rate_limited_items_wait_for_retry_after_and_all_end_ok) {
  temp_dir dir;
  // 12 at once against 20 r/s with a burst of 5: about half are answered 429 with
  // Retry-After: 1. The limit alone would let them through within 0.3 s; the backoff is a
  // millisecond; so a run of a second or more shows that Retry-After was the floor.
  const auto run = run_job(dir,
                           job_for("openai", upstream.base_url("/rl/v1"),
                                   "{ concurrency: 12, max_retries: 10, "
                                   "backoff_initial_s: 0.001, backoff_max_s: 0.002 }"),
                           12);
  BOOST_TEST(run.process.exit_code == 0, run.process.err);
  BOOST_TEST(count_status(run, "ok") == 12u);
  int retried = 0;
  for (const auto& line : run.lines) retried += line.at("nodes").at("call").at("attempts") > 1;
  BOOST_TEST(retried > 0);
  BOOST_TEST(run.seconds >= 1.0);
  // The closing summary counts the retries and the 429s that caused them.
  const auto stats = json::parse(read_file(dir / "stats.json"));
  BOOST_TEST(stats.at("calls") == 12);
  BOOST_TEST(stats.at("rate_limited").get<int>() > 0);
  BOOST_TEST(stats.at("attempts").get<int>() >= 12 + stats.at("rate_limited").get<int>());
  BOOST_TEST(run.process.err.find("answered 429") != std::string::npos, run.process.err);
}

// /flaky answers 500 to a random half of the requests. With 12 retries an item failing all
// 13 attempts had odds of 60 * 2^-13, about 1 run in 140, and it happened in CI; with 40
// they are 60 * 2^-41, and the backoff cap keeps the worst case under half a second.
BOOST_AUTO_TEST_CASE(flaky_500s_are_retried_until_ok) {
  temp_dir dir;
  const auto run = run_job(dir,
                           job_for("openai", upstream.base_url("/flaky/v1"),
                                   "{ max_retries: 40, backoff_initial_s: 0.001, "
                                   "backoff_max_s: 0.01 }"),
                           60);
  BOOST_TEST(run.process.exit_code == 0, run.process.err);
  BOOST_TEST(count_status(run, "ok") == 60u);
  int retried = 0;  // none retried among 60 would take odds of 2^-60
  for (const auto& line : run.lines) retried += line.at("nodes").at("call").at("attempts") > 1;
  BOOST_TEST(retried > 0);
}

BOOST_AUTO_TEST_CASE(malformed_json_fails_the_item_with_the_first_bytes) {
  temp_dir dir;
  const auto run =
      run_job(dir, job_for("openai", upstream.base_url("/bad/v1"), "{ max_retries: 3 }"), 5);
  BOOST_TEST(run.process.exit_code == 3);
  for (const auto& line : run.lines) {
    BOOST_TEST(line.at("status") == "failed");
    BOOST_TEST(line.at("nodes").at("call").at("attempts") == 1);  // final: not retried
    BOOST_TEST(line.at("error").get<std::string>().find("unexpected response") != std::string::npos,
               line.at("error"));
  }
}

BOOST_AUTO_TEST_CASE(a_400_is_final_and_carries_the_servers_message) {
  temp_dir dir;
  const auto run =
      run_job(dir, job_for("openai", upstream.base_url("/r400/v1"), "{ max_retries: 3 }"), 5);
  BOOST_TEST(run.process.exit_code == 3);
  for (const auto& line : run.lines) {
    BOOST_TEST(line.at("nodes").at("call").at("attempts") == 1);
    BOOST_TEST(line.at("error").get<std::string>().find("model not found") != std::string::npos,
               line.at("error"));
  }
}

BOOST_AUTO_TEST_CASE(one_failing_branch_leaves_the_rest_ok) {
  temp_dir dir;
  const auto job = "version: 1\nprovider: { kind: openai, base_url: \"" + upstream.base_url("/v1") +
                   "\", model: m }\nlimits: { max_retries: 0 }\nnodes:\n"
                   "  good: { prompt: \"{{i}}\" }\n"
                   "  bad: { prompt: \"{{i}}\", provider: { base_url: \"" +
                   upstream.base_url("/bad/v1") +
                   "\" } }\n"
                   "  both: { after: [good, bad], reduce: collect, min_success: 1 }\n";
  const auto run = run_job(dir, job, 10);
  BOOST_TEST(run.process.exit_code == 3);
  for (const auto& line : run.lines) {
    BOOST_TEST(line.at("status") == "partial");
    BOOST_TEST(line.at("nodes").at("good").at("status") == "ok");
    BOOST_TEST(line.at("nodes").at("bad").at("status") == "failed");
  }
}

BOOST_AUTO_TEST_CASE(samples_with_supports_n_are_one_request_per_item) {
  temp_dir dir;
  const auto job = "version: 1\nprovider: { kind: openai, base_url: \"" + upstream.base_url("/v1") +
                   "\", model: m, supports_n: true }\nlimits: { max_retries: 0 }\nnodes:\n"
                   "  label: { prompt: \"{{i}}\", samples: 3, min_success: 1 }\n";
  const auto before = upstream.counters();
  const auto run = run_job(dir, job, 10);
  const auto after = upstream.counters();
  // Minus the request that read the counters.
  BOOST_TEST(after.requests - before.requests - 1 == 10u);
  BOOST_TEST(run.process.exit_code == 3);
  // The upstream answers one choice whatever "n" asked for: the missing samples are named.
  for (const auto& line : run.lines) {
    const auto& label = line.at("nodes").at("label");
    BOOST_TEST(line.at("status") == "partial");
    BOOST_TEST(label.at("output") == json::array({"pong"}));
    BOOST_TEST(label.at("errors") == json::array({"1: the endpoint returned 1 of 3 choices",
                                                  "2: the endpoint returned 1 of 3 choices"}));
    BOOST_TEST(label.at("attempts") == 1);
    BOOST_TEST(label.at("usage").at("prompt_tokens") == 12);
  }
}

BOOST_AUTO_TEST_CASE(a_timeout_counts_as_retryable_and_is_reported) {
  temp_dir dir;
  const auto run = run_job(dir,
                           job_for("openai", upstream.base_url("/slow/v1"),
                                   "{ timeout_s: 0.3, max_retries: 1, backoff_initial_s: 0.01 }"),
                           3);
  BOOST_TEST(run.process.exit_code == 3);
  // The answer comes after 2 s: a "timeout" error on both attempts shows each was cut at
  // 0.3 s, without a wall-clock bound that a loaded machine would break.
  for (const auto& line : run.lines) {
    BOOST_TEST(line.at("nodes").at("call").at("attempts") == 2);
    BOOST_TEST(line.at("error").get<std::string>().find("timeout") != std::string::npos,
               line.at("error"));
  }
}

BOOST_AUTO_TEST_CASE(connection_refused_is_retried_then_reported) {
  temp_dir dir;
  const auto url = "http://127.0.0.1:" + std::to_string(pick_free_port()) + "/v1";
  const auto run =
      run_job(dir, job_for("openai", url, "{ max_retries: 2, backoff_initial_s: 0.01 }"), 3);
  BOOST_TEST(run.process.exit_code == 3);
  for (const auto& line : run.lines) {
    BOOST_TEST(line.at("nodes").at("call").at("attempts") == 3);
    BOOST_TEST(line.at("error").get<std::string>().find("onnect") != std::string::npos,
               line.at("error"));
  }
}

namespace {

void write_batch_file(const std::filesystem::path& path, int n) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    text += R"({"custom_id": "req-)" + std::to_string(i) +
            R"(", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "fake-llm", )"
            R"("messages": [{"role": "user", "content": "say pong )" +
            std::to_string(i) + R"("}], "max_tokens": 5}})" + "\n";
  }
  write_file(path, text);
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_openai_batch_file_runs_without_a_job_and_writes_batch_output) {
  temp_dir dir;
  write_batch_file(dir / "batch.jsonl", 8);
  const auto result =
      run_process(parallm_args({"run", "--input", (dir / "batch.jsonl").string(), "--output",
                                (dir / "out.jsonl").string(), "--provider", "openai", "--base-url",
                                upstream.base_url("/v1"), "--api-key-env", "PARALLM_TEST_KEY",
                                "--format", "openai-batch", "--no-progress"}),
                  dir.path());
  BOOST_TEST(result.exit_code == 0, result.err);
  const auto lines = read_jsonl(dir / "out.jsonl");
  BOOST_TEST(lines.size() == 8u);
  std::set<std::string> ids;
  for (const auto& line : lines) {
    ids.insert(line.at("custom_id").get<std::string>());
    BOOST_TEST(line.at("id").get<std::string>().rfind("batch_req_", 0) == 0);
    BOOST_TEST(line.at("error").is_null());
    const auto& response = line.at("response");
    BOOST_TEST(response.at("status_code") == 200);
    BOOST_TEST(response.at("body").at("choices").at(0).at("message").at("content") == "pong");
  }
  BOOST_TEST(ids.size() == 8u);
  BOOST_TEST(ids.count("req-0") == 1u);
  BOOST_TEST(read_file(dir / "out.jsonl").find(secret_key) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_batch_request_the_server_refuses_keeps_its_status_and_body) {
  temp_dir dir;
  write_batch_file(dir / "batch.jsonl", 2);
  const auto result =
      run_process(parallm_args({"run", "--input", (dir / "batch.jsonl").string(), "--output",
                                (dir / "out.jsonl").string(), "--base-url",
                                upstream.base_url("/r400/v1"), "--format", "openai-batch"}),
                  dir.path());
  BOOST_TEST(result.exit_code == 0, result.err);
  for (const auto& line : read_jsonl(dir / "out.jsonl")) {
    BOOST_TEST(line.at("response").at("status_code") == 400);
    BOOST_TEST(line.at("response").at("body").at("error").at("message") == "model not found");
  }
}

BOOST_AUTO_TEST_CASE(a_provider_only_job_file_drives_a_batch_file) {
  temp_dir dir;
  write_batch_file(dir / "in.jsonl", 3);
  write_file(dir / "job.yaml", "version: 1\nprovider: { kind: openai, base_url: \"" +
                                   upstream.base_url("/flaky/v1") +
                                   "\", model: unused }\nlimits: { max_retries: 40, "
                                   "backoff_initial_s: 0.001, backoff_max_s: 0.01 }\n");
  const auto result =
      run_process(run_args(dir, "job.yaml", "in.jsonl", {"--no-progress"}), dir.path());
  BOOST_TEST(result.exit_code == 0, result.err);
  for (const auto& line : read_jsonl(dir / "out.jsonl")) {
    BOOST_TEST(line.at("status") == "ok");
    BOOST_TEST(line.at("id").get<std::string>().rfind("req-", 0) == 0);
    BOOST_TEST(line.at("output").at("status_code") == 200);  // flaky 500s were retried
  }
}

namespace {

// `parallm run` of DIR/batch.jsonl into DIR/out.jsonl against the upstream, Batch output.
std::vector<std::string> batch_run_args(const temp_dir& dir, const fake_upstream& upstream,
                                        std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"run",
                                "--input",
                                (dir / "batch.jsonl").string(),
                                "--output",
                                (dir / "out.jsonl").string(),
                                "--base-url",
                                upstream.base_url("/v1"),
                                "--format",
                                "openai-batch",
                                "--no-progress"};
  args.insert(args.end(), extra.begin(), extra.end());
  return parallm_args(args);
}

}  // namespace

BOOST_AUTO_TEST_CASE(openai_batch_resume_matches_custom_id_and_line_ids_do_not_repeat) {
  temp_dir dir;
  write_batch_file(dir / "batch.jsonl", 4);
  BOOST_TEST(run_process(batch_run_args(dir, upstream), dir.path()).exit_code == 0);
  const auto first = read_file(dir / "out.jsonl");
  // Resuming a complete output sends nothing and appends nothing.
  const auto again = run_process(batch_run_args(dir, upstream, {"--resume"}), dir.path());
  BOOST_TEST(again.exit_code == 0, again.err);
  BOOST_TEST(read_file(dir / "out.jsonl") == first);
  // Four more requests: only they run, and their line ids are new.
  write_batch_file(dir / "batch.jsonl", 8);
  const auto more = run_process(batch_run_args(dir, upstream, {"--resume"}), dir.path());
  BOOST_TEST(more.exit_code == 0, more.err);
  const auto lines = read_jsonl(dir / "out.jsonl");
  BOOST_TEST(lines.size() == 8u);
  std::set<std::string> custom_ids;
  std::set<std::string> line_ids;
  for (const auto& line : lines) {
    custom_ids.insert(line.at("custom_id").get<std::string>());
    line_ids.insert(line.at("id").get<std::string>());
  }
  BOOST_TEST(custom_ids.size() == 8u);
  BOOST_TEST(line_ids.size() == 8u);
}

BOOST_AUTO_TEST_CASE(a_broken_batch_line_has_a_null_custom_id_and_is_not_run_again) {
  temp_dir dir;
  write_batch_file(dir / "batch.jsonl", 2);
  write_file(dir / "batch.jsonl", read_file(dir / "batch.jsonl") + "{\"custom_id\": \n");
  BOOST_TEST(run_process(batch_run_args(dir, upstream), dir.path()).exit_code == 3);
  const auto first = read_file(dir / "out.jsonl");
  const auto lines = parse_jsonl(first);
  BOOST_TEST_REQUIRE(lines.size() == 3u);
  int broken = 0;
  for (const auto& line : lines) {
    if (!line.at("custom_id").is_null()) continue;
    ++broken;
    BOOST_TEST(line.at("line") == 3);
    BOOST_TEST(line.at("error").at("message").get<std::string>().starts_with("line 3:"));
  }
  BOOST_TEST(broken == 1);
  BOOST_TEST(run_process(batch_run_args(dir, upstream, {"--resume"}), dir.path()).exit_code == 0);
  BOOST_TEST(read_file(dir / "out.jsonl") == first);
}

BOOST_AUTO_TEST_SUITE_END()
