#define BOOST_TEST_MODULE e2e_cluster_lines
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include "cluster.hpp"
#include "support/fake_upstream.hpp"

// A batch submitted to a coordinator with three workers writes the lines `parallm run` writes
// for the same job and input, and exits as run does: on the sim provider for the project's
// examples, and on a real HTTP upstream.

using namespace parallm::test;
using nlohmann::json;

namespace {

constexpr const char* secret_key = "sk-parallm-cluster-5e4d3c2b1a";

// A line as run and submit both must write it: the time a call took is the one thing that
// may differ between two runs.
json without_latency(json value) {
  if (value.is_object()) {
    value.erase("latency_ms");
    for (auto& [key, inner] : value.items()) inner = without_latency(inner);
  } else if (value.is_array()) {
    for (auto& inner : value) inner = without_latency(inner);
  }
  return value;
}

struct both_ways {
  process_result run;
  process_result submit;
  std::vector<json> run_lines;
  std::vector<json> submit_lines;
};

// The job and input through `parallm run` and through `parallm submit` to the cluster, with
// the same extra flags; the lines of each. Each writes its --stats next to its output.
both_ways run_and_submit(const temp_dir& dir, const cluster& nodes, const std::string& name,
                         std::vector<std::string> job_and_input,
                         const std::vector<std::string>& extra = {}) {
  both_ways result;
  auto run_argv = job_and_input;
  run_argv.insert(run_argv.end(), {"--output", (dir / (name + ".run.jsonl")).string(), "--stats",
                                   (dir / (name + ".run.stats.json")).string()});
  run_argv.insert(run_argv.end(), extra.begin(), extra.end());
  run_argv.insert(run_argv.begin(), "run");
  run_argv.push_back("--no-progress");
  result.run = run_process(parallm_args(run_argv), dir.path());
  auto submit_argv = job_and_input;
  submit_argv.insert(submit_argv.end(),
                     {"--output", (dir / (name + ".submit.jsonl")).string(), "--stats",
                      (dir / (name + ".submit.stats.json")).string()});
  submit_argv.insert(submit_argv.end(), extra.begin(), extra.end());
  result.submit = nodes.submit(submit_argv);
  result.run_lines = read_jsonl(dir / (name + ".run.jsonl"));
  result.submit_lines = read_jsonl(dir / (name + ".submit.jsonl"));
  return result;
}

// Lines by id and input line number: an input may repeat an id, and each of its lines is
// answered, the repeats as failed.
std::map<std::string, json> by_id_and_line(const std::vector<json>& lines) {
  std::map<std::string, json> out;
  for (const auto& line : lines) {
    const auto key = id_key(line) + " (line " + line.at("line").dump() + ")";
    BOOST_TEST(out.emplace(key, line).second, "twice: " << key);
  }
  return out;
}

// Same exit status, same ids, and line for line the same but for latency_ms.
void check_same_lines(const both_ways& both, int exit_code) {
  BOOST_TEST(both.run.exit_code == exit_code, both.run.err);
  BOOST_TEST(both.submit.exit_code == exit_code, both.submit.err);
  const auto ran = by_id_and_line(both.run_lines);
  const auto submitted = by_id_and_line(both.submit_lines);
  BOOST_TEST(both.submit_lines.size() == both.run_lines.size());
  BOOST_TEST(submitted.size() == ran.size());
  for (const auto& [id, line] : ran) {
    const auto it = submitted.find(id);
    BOOST_TEST_REQUIRE((it != submitted.end()), "submit wrote no line for " << id);
    BOOST_TEST(without_latency(it->second) == without_latency(line),
               "id " << id << "\nrun:    " << line.dump() << "\nsubmit: " << it->second.dump());
  }
}

// The --stats each wrote, but for the times.
void check_same_stats(const temp_dir& dir, const std::string& name) {
  auto ran = json::parse(read_file(dir / (name + ".run.stats.json")));
  auto submitted = json::parse(read_file(dir / (name + ".submit.stats.json")));
  for (const auto* timing : {"wall_s", "latency_p50_ms", "latency_p95_ms"}) {
    BOOST_TEST(submitted.contains(timing), timing);
    ran.erase(timing);
    submitted.erase(timing);
  }
  BOOST_TEST(submitted == ran, "run: " << ran.dump() << "\nsubmit: " << submitted.dump());
}

// A coordinator with three workers for one test case.
struct three_workers {
  temp_dir dir;
  cluster nodes{dir};
  three_workers() {
    nodes.start_coordinator();
    for (const auto* name : {"w1", "w2", "w3"}) nodes.add_worker(name, 16);
  }
};

std::vector<std::string> example_files(const std::string& name) {
  return {example(name, "job.yaml").string(), "--input", example(name, "input.jsonl").string()};
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(cluster_lines, three_workers)

BOOST_AUTO_TEST_CASE(the_examples_give_the_lines_and_exit_status_of_run) {
  for (const auto& [name, exit_code] : {std::pair{"batch_map", 0}, std::pair{"map_reduce", 0},
                                        std::pair{"voting", 3}, std::pair{"partial_failure", 3}}) {
    BOOST_TEST_CONTEXT("example " << name) {
      const auto both = run_and_submit(dir, nodes, name, example_files(name));
      check_same_lines(both, exit_code);
      check_same_stats(dir, name);
      BOOST_TEST(both.submit_lines.size() == input_ids(example(name, "input.jsonl")).size());
    }
  }
  // Every worker had a share of the calls.
  const auto status = nodes.status();
  BOOST_TEST_REQUIRE(status.at("workers").size() == 3u, status.dump());
  for (const auto& worker : status.at("workers")) {
    BOOST_TEST(worker.at("done").get<int>() > 0, worker.dump());
  }
}

BOOST_AUTO_TEST_CASE(ordered_output_follows_the_input) {
  // Latencies that vary by call, so that answers come back out of input order.
  write_file(dir / "job.yaml",
             "version: 1\nprovider: { kind: sim, latency_ms: 5, jitter_ms: 40, seed: 9 }\n"
             "limits: { concurrency: 16 }\nnodes:\n  say: { prompt: \"say {{n}}\" }\n");
  write_named_items(dir / "in.jsonl", 300);
  const auto both = run_and_submit(
      dir, nodes, "ordered", {(dir / "job.yaml").string(), "--input", (dir / "in.jsonl").string()},
      {"--ordered"});
  check_same_lines(both, 0);
  const auto ids = input_ids(dir / "in.jsonl");
  BOOST_TEST_REQUIRE(both.submit_lines.size() == ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    BOOST_TEST(id_key(both.submit_lines[i]) == ids[i]);
    BOOST_TEST(both.submit_lines[i].at("line") == i + 1);
  }
}

BOOST_AUTO_TEST_CASE(a_batch_api_file_gives_the_answers_of_run) {
  std::string text;
  for (int i = 0; i < 40; ++i) {
    text += R"({"custom_id": "req-)" + std::to_string(i) +
            R"(", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", )"
            R"("messages": [{"role": "user", "content": "say pong )" +
            std::to_string(i) + R"("}], "max_tokens": 50}})" + "\n";
  }
  write_file(dir / "batch.jsonl", text);
  const auto both = run_and_submit(dir, nodes, "batch", {"--input", (dir / "batch.jsonl").string()},
                                   {"--provider", "sim", "--format", "openai-batch"});
  BOOST_TEST(both.run.exit_code == 0, both.run.err);
  BOOST_TEST(both.submit.exit_code == 0, both.submit.err);
  BOOST_TEST_REQUIRE(both.submit_lines.size() == 40u);
  BOOST_TEST_REQUIRE(both.run_lines.size() == 40u);
  // A Batch output line's own id is drawn per run; the answer under its custom_id is not.
  std::map<std::string, json> ran;
  for (const auto& line : both.run_lines) ran[line.at("custom_id")] = line;
  std::set<std::string> line_ids;
  for (const auto& line : both.submit_lines) {
    const auto custom_id = line.at("custom_id").get<std::string>();
    BOOST_TEST_REQUIRE(ran.count(custom_id) == 1u, custom_id);
    const auto& expected = ran.at(custom_id);
    BOOST_TEST(line.at("error").is_null(), line.dump());
    BOOST_TEST(line.at("response").at("status_code") == 200);
    BOOST_TEST(line.at("response").at("body") == expected.at("response").at("body"),
               "run: " << expected.dump() << "\nsubmit: " << line.dump());
    line_ids.insert(line.at("id").get<std::string>());
  }
  BOOST_TEST(line_ids.size() == 40u);
}

BOOST_AUTO_TEST_CASE(bad_input_lines_and_a_refused_job_end_as_in_run) {
  // Lines that fail without a call: a missing template variable, a repeated id, not JSON.
  write_file(dir / "job.yaml",
             "version: 1\nprovider: { kind: sim }\nnodes:\n"
             "  say: { prompt: \"say {{n}} to {{whom}}\" }\n");
  write_file(dir / "in.jsonl",
             "{\"id\": \"a\", \"n\": 1, \"whom\": \"you\"}\n"
             "{\"id\": \"b\", \"n\": 2}\n"
             "{\"id\": \"a\", \"n\": 3, \"whom\": \"me\"}\n"
             "not json\n"
             "{\"id\": \"c\", \"n\": 4, \"whom\": \"them\"}\n");
  const auto both = run_and_submit(
      dir, nodes, "bad", {(dir / "job.yaml").string(), "--input", (dir / "in.jsonl").string()});
  check_same_lines(both, 3);
  BOOST_TEST(both.submit_lines.size() == 5u);

  // A job that does not load is refused before any item goes out, with run's message.
  write_file(dir / "refused.yaml",
             "version: 1\nprovider: { kind: anthropic, base_url: \"http://127.0.0.1:9/v1\" }\n"
             "nodes:\n  say: { prompt: \"say {{n}}\" }\n");
  const auto refused =
      run_and_submit(dir, nodes, "refused",
                     {(dir / "refused.yaml").string(), "--input", (dir / "in.jsonl").string()});
  BOOST_TEST(refused.run.exit_code == 2, refused.run.err);
  BOOST_TEST(refused.submit.exit_code == 2, refused.submit.err);
  BOOST_TEST(refused.submit.err.find("missing required key 'model'") != std::string::npos,
             refused.submit.err);
  BOOST_TEST(refused.submit_lines.empty());
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// The HTTP cases: one upstream and one cluster for them all, since nginx takes a while to start.
struct http_cluster {
  http_cluster() {
    // Set before the workers start, which read the key from their own environment.
    ::setenv("PARALLM_TEST_KEY", secret_key, 1);
    nodes.start_coordinator();
    for (const auto* name : {"w1", "w2", "w3"}) nodes.add_worker(name, 16);
  }
  fake_upstream upstream;
  temp_dir dir;
  cluster nodes{dir};
};

void write_http_items(const std::filesystem::path& path, int n) {
  std::string text;
  for (int i = 0; i < n; ++i)
    text += "{\"id\": " + std::to_string(i) + ", \"i\": " + std::to_string(i) + "}\n";
  write_file(path, text);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(cluster_http_lines, http_cluster)

BOOST_AUTO_TEST_CASE(an_http_job_gives_the_lines_of_run_and_the_key_stays_home) {
  write_file(dir / "job.yaml",
             "version: 1\nprovider: { kind: openai, base_url: \"" + upstream.base_url("/v1") +
                 "\", model: fake-llm, api_key_env: PARALLM_TEST_KEY }\n"
                 "limits: { max_retries: 0 }\nnodes:\n"
                 "  call: { prompt: \"item {{i}}: say pong\", max_tokens: 16 }\n");
  write_http_items(dir / "in.jsonl", 60);
  const auto both = run_and_submit(
      dir, nodes, "http", {(dir / "job.yaml").string(), "--input", (dir / "in.jsonl").string()});
  check_same_lines(both, 0);
  BOOST_TEST_REQUIRE(both.submit_lines.size() == 60u);
  for (const auto& line : both.submit_lines) BOOST_TEST(line.at("output") == "pong");
  // The key is read by each worker from its environment; it never travels or gets logged.
  BOOST_TEST(both.submit.err.find(secret_key) == std::string::npos);
  BOOST_TEST(nodes.coordinator_log().find(secret_key) == std::string::npos);
  BOOST_TEST(read_file(dir / "http.submit.jsonl").find(secret_key) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(failing_branches_over_http_give_the_partial_lines_of_run) {
  // Three providers per item: OpenAI and Anthropic answer, the third refuses with a 400.
  write_file(
      dir / "job.yaml",
      "version: 1\nprovider: { kind: openai, base_url: \"" + upstream.base_url("/v1") +
          "\", model: m, api_key_env: PARALLM_TEST_KEY }\nlimits: { max_retries: 2 }\n"
          "nodes:\n"
          "  openai: { prompt: \"{{i}}\" }\n"
          "  claude: { prompt: \"{{i}}\", provider: { kind: anthropic, model: m, base_url: \"" +
          upstream.base_url("/anthropic/v1") +
          "\" } }\n"
          "  refused: { prompt: \"{{i}}\", provider: { base_url: \"" +
          upstream.base_url("/r400/v1") +
          "\" } }\n"
          "  all: { after: [openai, claude, refused], reduce: collect, min_success: 2 }\n");
  write_http_items(dir / "in.jsonl", 30);
  const auto both =
      run_and_submit(dir, nodes, "branches",
                     {(dir / "job.yaml").string(), "--input", (dir / "in.jsonl").string()});
  check_same_lines(both, 3);
  BOOST_TEST_REQUIRE(both.submit_lines.size() == 30u);
  for (const auto& line : both.submit_lines) {
    BOOST_TEST(line.at("status") == "partial", line.dump());
    BOOST_TEST(line.at("nodes").at("refused").at("status") == "failed");
    BOOST_TEST(line.at("nodes").at("claude").at("status") == "ok");
  }
}

BOOST_AUTO_TEST_SUITE_END()

// A coordinator that takes only small frames announces its limits in its welcome, and its
// workers and the client split what they send to them: the lines are run's, and no frame is
// dropped. Peers that split to the defaults would send hundreds of these lines in a frame,
// all dropped as too_large, and the batch would never end.
BOOST_AUTO_TEST_CASE(a_coordinator_that_takes_small_frames_still_gets_every_line) {
  temp_dir dir;
  cluster_options options;
  options.coordinator_flags = {"--max-frame-bytes", "65536", "--max-items-per-frame", "16"};
  cluster nodes{dir, options};
  nodes.start_coordinator();
  for (const auto* name : {"w1", "w2"}) nodes.add_worker(name, 16);
  write_file(dir / "job.yaml", sim_job(0, 32));
  constexpr int items = 600;
  std::string input;
  for (int i = 0; i < items; ++i) {
    input += "{\"id\": \"item-" + std::to_string(i) + "\", \"n\": " + std::to_string(i) +
             ", \"pad\": \"" + std::string(1000, 'p') + "\"}\n";
  }
  write_file(dir / "in.jsonl", input);
  const auto both = run_and_submit(
      dir, nodes, "small", {(dir / "job.yaml").string(), "--input", (dir / "in.jsonl").string()});
  check_same_lines(both, 0);
  BOOST_TEST(both.submit_lines.size() == static_cast<std::size_t>(items));
  const auto counters = nodes.status().at("counters");
  BOOST_TEST(counters.value("workers.dropped.too_large", 0) == 0, counters.dump());
  BOOST_TEST(counters.value("clients.dropped.too_large", 0) == 0, counters.dump());
}
