#define BOOST_TEST_MODULE e2e_secrets
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "cluster.hpp"
#include "support/fake_upstream.hpp"

// An API key lives in an environment variable and in the request header built from it, and
// nowhere else: not in what parallm prints, writes or logs, even when the upstream quotes the
// key back in its error answers, and not on a command line, where --set refuses it.

using namespace parallm::test;
using nlohmann::json;

namespace {

constexpr const char* canary = "sk-canary-7c1e55a0d2b94f3e";

struct secrets_fixture {
  // Set before any parallm process starts: they read the key from their own environment.
  secrets_fixture() { ::setenv("PARALLM_CANARY_KEY", canary, 1); }
  fake_upstream upstream;
  temp_dir dir;
};

std::string job_for(const std::string& kind, const std::string& base_url) {
  return "version: 1\nprovider: { kind: " + kind + ", base_url: \"" + base_url +
         "\", model: fake-llm, api_key_env: PARALLM_CANARY_KEY }\n"
         "limits: { max_retries: 1, backoff_initial_s: 0.001, backoff_max_s: 0.002 }\n"
         "nodes:\n  call: { prompt: \"item {{i}}: say pong\", max_tokens: 16 }\n";
}

void write_items(const std::filesystem::path& path, int n) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    text += "{\"id\": " + std::to_string(i) + ", \"i\": " + std::to_string(i) + "}\n";
  }
  write_file(path, text);
}

bool holds_canary(const std::string& text) {
  return text.find(canary) != std::string::npos;
}

// Every place a run leaves text: its streams, its output and its --stats.
void require_no_canary(const process_result& p, const std::filesystem::path& out,
                       const std::filesystem::path& stats) {
  BOOST_TEST(!holds_canary(p.out), p.out);
  BOOST_TEST(!holds_canary(p.err), p.err);
  BOOST_TEST(!holds_canary(read_file(out)));
  BOOST_TEST(!holds_canary(read_file(stats)));
}

// `parallm run` of job.yaml over in.jsonl in dir, into NAME.jsonl and NAME.stats.json.
process_result run(const temp_dir& dir, const std::string& name,
                   std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"run",          (dir / "job.yaml").string(),
                                "--input",      (dir / "in.jsonl").string(),
                                "--output",     (dir / (name + ".jsonl")).string(),
                                "--stats",      (dir / (name + ".stats.json")).string(),
                                "--no-progress"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_process(parallm_args(args), dir.path());
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(secrets, secrets_fixture)

BOOST_AUTO_TEST_CASE(a_401_quoting_the_authorization_header_leaves_no_key_behind) {
  write_file(dir / "job.yaml", job_for("openai", upstream.base_url("/echo-401/v1")));
  write_items(dir / "in.jsonl", 6);
  const auto p = run(dir, "openai401");
  BOOST_TEST(p.exit_code == 3, p.err);  // every item failed
  require_no_canary(p, dir / "openai401.jsonl", dir / "openai401.stats.json");
  const auto lines = read_jsonl(dir / "openai401.jsonl");
  BOOST_TEST_REQUIRE(lines.size() == 6u);
  for (const auto& line : lines) {
    BOOST_TEST(line.at("status") == "failed");
    // The upstream did quote the header: the mark stands where the key was.
    BOOST_TEST(line.at("error").get<std::string>().find(
                   "authorization=[Bearer [redacted api key]]") != std::string::npos,
               line.dump());
  }
}

BOOST_AUTO_TEST_CASE(a_500_retried_then_given_up_leaves_no_key_behind) {
  write_file(dir / "job.yaml", job_for("anthropic", upstream.base_url("/echo-500/v1")));
  write_items(dir / "in.jsonl", 4);
  const auto p = run(dir, "anthropic500");
  BOOST_TEST(p.exit_code == 3, p.err);
  require_no_canary(p, dir / "anthropic500.jsonl", dir / "anthropic500.stats.json");
  for (const auto& line : read_jsonl(dir / "anthropic500.jsonl")) {
    BOOST_TEST(line.at("error").get<std::string>().find("x-api-key=[[redacted api key]]") !=
                   std::string::npos,
               line.dump());
  }
}

BOOST_AUTO_TEST_CASE(a_batch_file_whose_answers_are_written_whole_leaves_no_key_behind) {
  // An OpenAI Batch input: each answer's body goes into the output as the upstream sent it.
  write_file(dir / "job.yaml", "version: 1\nprovider: { kind: openai, base_url: \"" +
                                   upstream.base_url("/echo-401/v1") +
                                   "\", model: fake-llm, api_key_env: PARALLM_CANARY_KEY }\n"
                                   "limits: { max_retries: 0 }\n");
  std::string text;
  for (int i = 0; i < 3; ++i) {
    text += R"({"custom_id": "req-)" + std::to_string(i) +
            R"(", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", )"
            R"("messages": [{"role": "user", "content": "hi"}]}})" +
            "\n";
  }
  write_file(dir / "in.jsonl", text);
  const auto p = run(dir, "batch", {"--format", "openai-batch"});
  require_no_canary(p, dir / "batch.jsonl", dir / "batch.stats.json");
  const auto lines = read_jsonl(dir / "batch.jsonl");
  BOOST_TEST_REQUIRE(lines.size() == 3u, p.err);
  for (const auto& line : lines) {
    BOOST_TEST(line.at("response").at("status_code") == 401, line.dump());
    BOOST_TEST(line.dump().find("[redacted api key]") != std::string::npos, line.dump());
  }
}

BOOST_AUTO_TEST_CASE(a_cluster_batch_leaves_no_key_in_any_process_or_status) {
  cluster nodes{dir};
  nodes.start_coordinator();
  nodes.add_worker("w1", 4);
  write_file(dir / "job.yaml", job_for("openai", upstream.base_url("/echo-401/v1")));
  write_items(dir / "in.jsonl", 5);
  const auto p = nodes.submit({(dir / "job.yaml").string(), "--input", (dir / "in.jsonl").string(),
                               "--output", (dir / "submit.jsonl").string(), "--stats",
                               (dir / "submit.stats.json").string()});
  BOOST_TEST(p.exit_code == 3, p.err);
  BOOST_TEST(read_jsonl(dir / "submit.jsonl").size() == 5u);
  require_no_canary(p, dir / "submit.jsonl", dir / "submit.stats.json");
  BOOST_TEST(!holds_canary(nodes.status().dump()));
  BOOST_TEST(!holds_canary(nodes.coordinator_log()));
  BOOST_TEST(!holds_canary(nodes.worker_log("w1")));
}

BOOST_AUTO_TEST_CASE(a_key_given_with_set_is_refused_and_not_repeated) {
  write_file(dir / "job.yaml", job_for("openai", upstream.base_url("/v1")));
  write_items(dir / "in.jsonl", 1);
  const auto p = run(dir, "set", {"--set", std::string("provider.api_key=") + canary});
  BOOST_TEST(p.exit_code == 2, p.err);
  BOOST_TEST(p.err.find("provider.api_key_env") != std::string::npos, p.err);
  BOOST_TEST(!holds_canary(p.out + p.err));
  BOOST_TEST(!std::filesystem::exists(dir / "set.jsonl"));
}

BOOST_AUTO_TEST_SUITE_END()
