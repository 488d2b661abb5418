#define BOOST_TEST_MODULE e2e_run_examples
#include <boost/test/unit_test.hpp>

#include <set>

#include "e2e.hpp"

using namespace parallm::test;
using nlohmann::json;

namespace {

struct example_run {
  process_result process;
  std::vector<json> lines;
  std::map<std::string, json> items;
};

example_run run_example(const temp_dir& dir, const std::string& name) {
  example_run run;
  const auto out = dir / (name + ".jsonl");
  run.process = run_process(parallm_args({"run", example(name, "job.yaml").string(), "--input",
                                          example(name, "input.jsonl").string(), "--output",
                                          out.string(), "--no-progress"}),
                            dir.path());
  BOOST_TEST_INFO("stderr: " << run.process.err);
  run.lines = read_jsonl(out);
  run.items = by_id(run.lines);
  // Every input id exactly once, nothing else.
  const auto ids = input_ids(example(name, "input.jsonl"));
  BOOST_TEST(run.lines.size() == ids.size());
  for (const auto& id : ids) BOOST_TEST(run.items.count(id) == 1, "missing id " << id);
  for (const auto& line : run.lines) {
    const auto status = line.at("status").get<std::string>();
    BOOST_TEST((status == "ok" || status == "partial" || status == "failed"));
    BOOST_TEST(line.contains("nodes"));
    BOOST_TEST(line.contains("usage"));
    BOOST_TEST(line.contains("error"));
  }
  return run;
}

std::size_t count_status(const example_run& run, const std::string& status) {
  std::size_t n = 0;
  for (const auto& line : run.lines) n += line.at("status") == status;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_CASE(batch_map_gives_one_ok_summary_per_item) {
  temp_dir dir;
  const auto run = run_example(dir, "batch_map");
  BOOST_TEST(run.process.exit_code == 0);
  for (const auto& line : run.lines) {
    BOOST_TEST(line.at("status") == "ok");
    BOOST_TEST(line.at("output").get<std::string>().rfind("sim[", 0) == 0);
    BOOST_TEST(line.at("error").is_null());
    const auto& node = line.at("nodes").at("summary");
    BOOST_TEST(node.at("attempts").get<int>() >= 1);
    BOOST_TEST(line.at("usage").at("total_tokens").get<int>() ==
               line.at("usage").at("prompt_tokens").get<int>() +
                   line.at("usage").at("completion_tokens").get<int>());
  }
}

BOOST_AUTO_TEST_CASE(sectioning_renders_the_aggregator_template) {
  temp_dir dir;
  const auto run = run_example(dir, "sectioning");
  BOOST_TEST(run.process.exit_code == 0);  // the example injects no failures
  for (const auto& line : run.lines) {
    BOOST_TEST(line.at("status") == "ok");
    const auto output = line.at("output").get<std::string>();
    BOOST_TEST(output.find("STORY:\n") == 0);
    BOOST_TEST(output.find("\n\nJOKE:\n") != std::string::npos);
    BOOST_TEST(output.find("\n\nPOEM:\n") != std::string::npos);
    for (const auto* branch : {"joke", "story", "poem", "combined"}) {
      BOOST_TEST(line.at("nodes").contains(branch), "node " << branch);
    }
    BOOST_TEST(line.at("nodes").at("joke").at("output").get<std::string>().find("joke") !=
               std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(voting_reports_counts_and_enforces_the_quorum) {
  temp_dir dir;
  const auto run = run_example(dir, "voting");
  const std::set<std::string> labels{"positive", "negative", "neutral"};
  for (const auto& line : run.lines) {
    const auto& verdict = line.at("nodes").at("verdict");
    int total = 0;
    int best = 0;
    for (const auto& [label, count] : verdict.at("votes").items()) {
      BOOST_TEST(labels.count(label) == 1);
      total += count.get<int>();
      best = std::max(best, count.get<int>());
    }
    BOOST_TEST(total == 5);
    BOOST_TEST(line.at("nodes").at("label").at("output").size() == 5u);
    if (line.at("status") == "ok") {
      BOOST_TEST(best >= 3);
      const auto winner = line.at("output").get<std::string>();
      BOOST_TEST(labels.count(winner) == 1);
      BOOST_TEST(verdict.at("votes").at(winner).get<int>() == best);
    } else {
      BOOST_TEST(line.at("status") == "failed");
      BOOST_TEST(best < 3);
      BOOST_TEST(line.at("error").get<std::string>().find("no quorum") != std::string::npos);
    }
  }
  BOOST_TEST(run.process.exit_code == (count_status(run, "failed") > 0 ? 3 : 0));
}

BOOST_AUTO_TEST_CASE(map_reduce_summarizes_every_chunk_then_combines) {
  temp_dir dir;
  const auto run = run_example(dir, "map_reduce");
  BOOST_TEST(run.process.exit_code == 0);
  std::size_t total_chunks = 0;
  for (const auto& line : run.lines) {
    BOOST_TEST(line.at("status") == "ok");
    const auto& nodes = line.at("nodes");
    const auto chunks = nodes.at("chunks").at("output");
    const auto summaries = nodes.at("summary").at("output");
    BOOST_TEST(chunks.is_array());
    BOOST_TEST(chunks.size() >= 1u);
    total_chunks += chunks.size();
    BOOST_TEST(summaries.size() == chunks.size());
    for (const auto& chunk : chunks) BOOST_TEST(chunk.get<std::string>().size() <= 400u);
    BOOST_TEST(line.at("output").get<std::string>().find("Combine") != std::string::npos);
  }
  BOOST_TEST(total_chunks > run.lines.size());  // long documents were split
}

BOOST_AUTO_TEST_CASE(partial_failure_tolerates_one_failed_branch) {
  temp_dir dir;
  const auto run = run_example(dir, "partial_failure");
  BOOST_TEST(run.process.exit_code == 3);
  BOOST_TEST(count_status(run, "partial") > 0);
  for (const auto& line : run.lines) {
    int failed_branches = 0;
    for (const auto* branch : {"french", "german", "spanish"}) {
      failed_branches += line.at("nodes").at(branch).at("status") == "failed";
    }
    const auto status = line.at("status").get<std::string>();
    if (failed_branches == 0) BOOST_TEST(status == "ok");
    if (failed_branches == 1) {
      BOOST_TEST(status == "partial");
      BOOST_TEST(line.at("output").get<std::string>().find("\n---\n") != std::string::npos);
    }
    if (failed_branches >= 2) {
      BOOST_TEST(status == "failed");
      BOOST_TEST(line.at("output").is_null());
      BOOST_TEST(line.at("error").get<std::string>().find("min_success") != std::string::npos);
    }
  }
}
