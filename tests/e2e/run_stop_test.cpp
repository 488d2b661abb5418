#define BOOST_TEST_MODULE e2e_run_stop
#include <boost/test/unit_test.hpp>

#include <set>

#include "e2e.hpp"
#include "support/fake_upstream.hpp"

using namespace parallm::test;
using nlohmann::json;

namespace {

struct upstream_fixture {
  fake_upstream upstream;
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

void write_items(const std::filesystem::path& path, int n) {
  std::string text;
  for (int i = 0; i < n; ++i)
    text += "{\"id\": " + std::to_string(i) + ", \"i\": " + std::to_string(i) + "}\n";
  write_file(path, text);
}

std::string job_for(const std::string& base_url, const std::string& limits) {
  return "version: 1\nprovider: { kind: openai, base_url: \"" + base_url +
         "\", model: fake-llm }\nlimits: " + limits +
         "\nnodes:\n  call: { prompt: \"item {{i}}\", max_tokens: 4 }\n";
}

std::string batch_line(const std::string& id, const std::string& url) {
  return R"({"custom_id": ")" + id + R"(", "method": "POST", "url": ")" + url +
         R"(", "body": {"model": "fake-llm", "messages": [{"role": "user", "content": "hi"}]}})" +
         "\n";
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(stop, upstream_fixture)

BOOST_AUTO_TEST_CASE(every_call_refused_alike_stops_the_run_and_resume_finishes_it) {
  temp_dir dir;
  write_file(dir / "job.yaml", job_for(upstream.base_url("/r400/v1"), "{ concurrency: 2 }"));
  write_items(dir / "in.jsonl", 200);
  const auto first = run_process(run_args(dir, "job.yaml", "in.jsonl",
                                          {"--no-progress", "--ordered", "--stats", "stats.json"}),
                                 dir.path());
  BOOST_TEST(first.exit_code == 3, first.err);
  BOOST_TEST(count(first.err,
                   "parallm: stopped after the first 20 calls all failed: HTTP 400 "
                   "(model not found)") == 1u,
             first.err);
  const auto written = read_jsonl(dir / "out.jsonl");
  BOOST_TEST(written.size() >= 20u);
  BOOST_TEST(written.size() < 200u);
  for (const auto& line : written) BOOST_TEST(line.at("status") == "failed");
  const auto stats = json::parse(read_file(dir / "stats.json"));
  BOOST_TEST(stats.at("stopped").get<std::string>().starts_with("stopped after the first 20"));

  // What was not written is left for --resume; a run that does not stop writes the rest.
  const auto second =
      run_process(run_args(dir, "job.yaml", "in.jsonl",
                           {"--no-progress", "--resume", "--set", "limits.abort_after_failures=0"}),
                  dir.path());
  BOOST_TEST(second.exit_code == 3, second.err);
  BOOST_TEST(by_id(read_jsonl(dir / "out.jsonl")).size() == 200u);
}

BOOST_AUTO_TEST_CASE(a_refused_connection_stops_the_run_after_its_retries) {
  temp_dir dir;
  const auto closed = "http://127.0.0.1:" + std::to_string(pick_free_port()) + "/v1";
  write_file(
      dir / "job.yaml",
      job_for(closed, "{ max_retries: 1, backoff_initial_s: 0.001, abort_after_failures: 5 }"));
  write_items(dir / "in.jsonl", 100);
  const auto result =
      run_process(run_args(dir, "job.yaml", "in.jsonl", {"--no-progress"}), dir.path());
  BOOST_TEST(result.exit_code == 3, result.err);
  BOOST_TEST(count(result.err, "parallm: stopped after the first 5 calls all failed: curl:") == 1u,
             result.err);
  BOOST_TEST(read_jsonl(dir / "out.jsonl").size() < 100u);
}

// About half of the calls fail: the first 20 all failing would take odds of 1 in 10^6.
BOOST_AUTO_TEST_CASE(a_success_among_the_first_calls_lets_the_run_go_on) {
  temp_dir dir;
  write_file(dir / "job.yaml", job_for(upstream.base_url("/flaky/v1"), "{ max_retries: 0 }"));
  write_items(dir / "in.jsonl", 60);
  const auto result =
      run_process(run_args(dir, "job.yaml", "in.jsonl", {"--no-progress"}), dir.path());
  BOOST_TEST(result.exit_code == 3, result.err);  // some items failed with 500
  BOOST_TEST(count(result.err, "stopped after") == 0u, result.err);
  BOOST_TEST(by_id(read_jsonl(dir / "out.jsonl")).size() == 60u);
}

BOOST_AUTO_TEST_CASE(a_batch_lines_url_decides_the_endpoint) {
  temp_dir dir;
  write_file(dir / "batch.jsonl", batch_line("chat", "/v1/chat/completions") +
                                      batch_line("embed", "/v1/embeddings") +
                                      batch_line("image", "/v1/images/generations"));
  const auto result = run_process(
      parallm_args({"run", "--input", (dir / "batch.jsonl").string(), "--output",
                    (dir / "out.jsonl").string(), "--base-url", upstream.base_url("/v1"),
                    "--format", "openai-batch", "--no-progress"}),
      dir.path());
  BOOST_TEST(result.exit_code == 3, result.err);  // the image request failed
  std::map<std::string, json> lines;
  for (const auto& line : read_jsonl(dir / "out.jsonl")) lines[line.at("custom_id")] = line;
  BOOST_TEST_REQUIRE(lines.size() == 3u);
  BOOST_TEST(lines["chat"].at("response").at("status_code") == 200);
  // The fake upstream serves chat completions only: /v1/embeddings reached it and is unknown.
  BOOST_TEST(lines["embed"].at("response").at("status_code") == 404);
  BOOST_TEST(lines["image"].at("response").is_null());
  const auto message = lines["image"].at("error").at("message").get<std::string>();
  BOOST_TEST(message.find("url '/v1/images/generations'") != std::string::npos, message);
}

BOOST_AUTO_TEST_SUITE_END()
