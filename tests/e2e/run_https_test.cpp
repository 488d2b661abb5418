#define BOOST_TEST_MODULE e2e_run_https
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>

#include "e2e.hpp"
#include "support/fake_upstream.hpp"

// Real endpoints are HTTPS: parallm verifies the server against the system's CA bundle, or
// against the provider's ca_file (a self-hosted server with its own certificate authority).

using namespace parallm::test;
using nlohmann::json;

namespace {

struct tls_upstream_fixture {
  fake_upstream upstream{{.tls = true}};
};

void write_items(const temp_dir& dir, int n) {
  std::string text;
  for (int i = 0; i < n; ++i) text += "{\"id\": " + std::to_string(i) + "}\n";
  write_file(dir / "in.jsonl", text);
}

std::string https_job(const std::string& base_url, const std::string& ca_file_line) {
  return "version: 1\nprovider:\n  kind: openai\n  base_url: \"" + base_url +
         "\"\n  model: fake-llm\n" + ca_file_line +
         "limits: { max_retries: 3, backoff_initial_s: 0.001 }\n"
         "nodes:\n  call: { prompt: \"say pong\", max_tokens: 5 }\n";
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(https, tls_upstream_fixture)

BOOST_AUTO_TEST_CASE(a_ca_file_beside_the_job_verifies_the_server) {
  temp_dir dir;
  std::filesystem::copy_file(upstream.certificate(), dir / "upstream.pem");
  write_file(dir / "job.yaml",
             https_job(upstream.tls_base_url("/v1"), "  ca_file: upstream.pem\n"));
  write_items(dir, 20);
  const auto result =
      run_process(run_args(dir, "job.yaml", "in.jsonl", {"--no-progress"}), dir.path());
  BOOST_TEST(result.exit_code == 0, result.err);
  const auto lines = read_jsonl(dir / "out.jsonl");
  BOOST_TEST(by_id(lines).size() == 20u);
  for (const auto& line : lines) {
    BOOST_TEST(line.at("status") == "ok");
    BOOST_TEST(line.at("output") == "pong");
  }
}

BOOST_AUTO_TEST_CASE(an_unverifiable_server_fails_each_item_once_and_says_why) {
  temp_dir dir;
  write_file(dir / "job.yaml", https_job(upstream.tls_base_url("/v1"), ""));
  write_items(dir, 5);
  const auto before = upstream.counters().requests;
  const auto result =
      run_process(run_args(dir, "job.yaml", "in.jsonl", {"--no-progress"}), dir.path());
  BOOST_TEST(result.exit_code == 3, result.err);
  const auto lines = read_jsonl(dir / "out.jsonl");
  BOOST_TEST(by_id(lines).size() == 5u);
  for (const auto& line : lines) {
    BOOST_TEST(line.at("status") == "failed");
    // A certificate that does not verify now will not verify on a retry.
    BOOST_TEST(line.at("nodes").at("call").at("attempts") == 1);
    BOOST_TEST(line.at("error").get<std::string>().find("certificate") != std::string::npos,
               line.at("error"));
  }
  // The TLS handshake failed before any request reached the server.
  BOOST_TEST(upstream.counters().requests == before + 1);  // the counters request itself
}

BOOST_AUTO_TEST_CASE(a_batch_file_takes_its_ca_file_from_set) {
  temp_dir dir;
  std::filesystem::copy_file(upstream.certificate(), dir / "upstream.pem");
  write_file(dir / "batch.jsonl",
             R"({"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", )"
             R"("body": {"model": "fake-llm", "messages": [{"role": "user", "content": "hi"}]}})"
             "\n");
  const auto result = run_process(
      parallm_args({"run", "--input", "batch.jsonl", "--output", "out.jsonl", "--base-url",
                    upstream.tls_base_url("/v1"), "--set", "provider.ca_file=upstream.pem",
                    "--format", "openai-batch", "--no-progress"}),
      dir.path());
  BOOST_TEST(result.exit_code == 0, result.err);
  const auto lines = read_jsonl(dir / "out.jsonl");
  BOOST_TEST_REQUIRE(lines.size() == 1u);
  BOOST_TEST(lines[0].at("response").at("status_code") == 200);
}

BOOST_AUTO_TEST_SUITE_END()
