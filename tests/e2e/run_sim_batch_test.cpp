#define BOOST_TEST_MODULE e2e_run_sim_batch
#include <boost/test/unit_test.hpp>

#include <string>

#include "e2e.hpp"

// A Batch API file dry-run on the sim provider: every line is answered with an envelope, and
// each line's status, the summary and the exit status agree.

using namespace parallm::test;
using nlohmann::json;

namespace {

void write_batch_file(const std::filesystem::path& path, int n, int max_tokens) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    text += R"({"custom_id": "req-)" + std::to_string(i) +
            R"(", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", )"
            R"("messages": [{"role": "user", "content": "say pong )" +
            std::to_string(i) + R"("}], "max_tokens": )" + std::to_string(max_tokens) + "}}\n";
  }
  write_file(path, text);
}

std::vector<std::string> batch_run(const temp_dir& dir, std::vector<std::string> extra) {
  std::vector<std::string> args{"run",
                                "--input",
                                (dir / "batch.jsonl").string(),
                                "--output",
                                (dir / "out.jsonl").string(),
                                "--stats",
                                (dir / "stats.json").string(),
                                "--no-progress"};
  args.insert(args.end(), extra.begin(), extra.end());
  return parallm_args(args);
}

json read_stats(const temp_dir& dir) {
  return json::parse(read_file(dir / "stats.json"));
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_batch_file_on_the_sim_writes_batch_answers) {
  temp_dir dir;
  write_batch_file(dir / "batch.jsonl", 5, 50);
  const auto result =
      run_process(batch_run(dir, {"--provider", "sim", "--format", "openai-batch"}), dir.path());
  BOOST_TEST(result.exit_code == 0, result.err);
  const auto lines = read_jsonl(dir / "out.jsonl");
  BOOST_REQUIRE(lines.size() == 5u);
  for (const auto& line : lines) {
    BOOST_TEST(line.at("error").is_null(), line.dump());
    const auto& response = line.at("response");
    BOOST_REQUIRE(response.is_object());
    BOOST_TEST(response.at("status_code") == 200);
    BOOST_TEST(response.at("request_id").get<std::string>().rfind("req_sim_", 0) == 0u);
    const auto& body = response.at("body");
    BOOST_TEST(body.at("object") == "chat.completion");
    const auto content = body.at("choices").at(0).at("message").at("content").get<std::string>();
    BOOST_TEST(content.find("say pong") != std::string::npos);
    BOOST_TEST(body.at("usage").at("total_tokens").get<int>() > 0);
  }
  BOOST_TEST(read_stats(dir).at("ok") == 5);
  BOOST_TEST(read_stats(dir).at("failed") == 0);
}

BOOST_AUTO_TEST_CASE(without_the_batch_format_each_output_is_the_envelope) {
  temp_dir dir;
  write_batch_file(dir / "batch.jsonl", 3, 1);
  const auto result = run_process(batch_run(dir, {"--set", "provider.kind=sim"}), dir.path());
  BOOST_TEST(result.exit_code == 0, result.err);
  const auto lines = read_jsonl(dir / "out.jsonl");
  BOOST_REQUIRE(lines.size() == 3u);
  for (const auto& line : lines) {
    BOOST_TEST(line.at("status") == "ok", line.dump());
    BOOST_TEST(line.at("output").at("status_code") == 200);
    const auto& choice = line.at("output").at("body").at("choices").at(0);
    BOOST_TEST(choice.at("finish_reason") == "length");  // max_tokens 1 cut every answer
    BOOST_TEST(line.at("nodes").at("request").at("finish_reason") == "length");
  }
  BOOST_TEST(read_stats(dir).at("ok") == 3);
}

BOOST_AUTO_TEST_CASE(a_provider_only_sim_job_drives_a_batch_file) {
  temp_dir dir;
  write_batch_file(dir / "batch.jsonl", 4, 50);
  write_file(dir / "job.yaml", "version: 1\nprovider: { kind: sim, seed: 7 }\n");
  const auto result = run_process(
      parallm_args({"run", (dir / "job.yaml").string(), "--input", (dir / "batch.jsonl").string(),
                    "--output", (dir / "out.jsonl").string(), "--format", "openai-batch", "--stats",
                    (dir / "stats.json").string(), "--no-progress"}),
      dir.path());
  BOOST_TEST(result.exit_code == 0, result.err);
  std::size_t answered = 0;
  for (const auto& line : read_jsonl(dir / "out.jsonl")) {
    answered += line.at("error").is_null() && line.at("response").at("status_code") == 200;
  }
  BOOST_TEST(answered == 4u);
  BOOST_TEST(read_stats(dir).at("ok") == 4);
}

BOOST_AUTO_TEST_CASE(a_sim_call_cut_by_max_tokens_reports_length) {
  temp_dir dir;
  write_file(dir / "job.yaml",
             "version: 1\nprovider: { kind: sim }\nnodes:\n"
             "  short: { prompt: \"Tell a long story about {{topic}}\", max_tokens: 3 }\n"
             "  whole: { prompt: \"Hi {{topic}}\" }\n");
  write_file(dir / "in.jsonl", "{\"id\": 1, \"topic\": \"cats\"}\n");
  const auto result =
      run_process(run_args(dir, "job.yaml", "in.jsonl", {"--no-progress"}), dir.path());
  BOOST_TEST(result.exit_code == 0, result.err);
  const auto lines = read_jsonl(dir / "out.jsonl");
  BOOST_REQUIRE(lines.size() == 1u);
  BOOST_TEST(lines[0].at("nodes").at("short").at("finish_reason") == "length");
  BOOST_TEST(lines[0].at("nodes").at("whole").at("finish_reason") == "stop");
}
