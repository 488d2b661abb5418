#define BOOST_TEST_MODULE e2e_run_options
#include <boost/test/unit_test.hpp>

#include <csignal>

#include "e2e.hpp"

using namespace parallm::test;
using nlohmann::json;

namespace {

// Latency with wide jitter, so completion order differs from input order.
const char* const jittery_job = R"(version: 1
provider: { kind: sim, latency_ms: 1, jitter_ms: 30 }
limits: { concurrency: 64 }
nodes:
  echo: { prompt: "Item {{n}}" }
)";

std::vector<std::string> ids_in_order(const std::vector<json>& lines) {
  std::vector<std::string> ids;
  for (const auto& line : lines) ids.push_back(line.at("id").get<std::string>());
  return ids;
}

// Every case here runs DIR/job.yaml over DIR/in.jsonl, without a progress line.
std::vector<std::string> run_args(const temp_dir& dir, std::vector<std::string> extra) {
  extra.push_back("--no-progress");
  return parallm::test::run_args(dir, "job.yaml", "in.jsonl", std::move(extra));
}

}  // namespace

BOOST_AUTO_TEST_CASE(ordered_output_follows_input_order) {
  temp_dir dir;
  write_file(dir / "job.yaml", jittery_job);
  write_named_items(dir / "in.jsonl", 300);
  const auto result = run_process(run_args(dir, {"--ordered", "--workers", "3"}), dir.path());
  BOOST_TEST(result.exit_code == 0, result.err);
  const auto ids = ids_in_order(read_jsonl(dir / "out.jsonl"));
  BOOST_TEST(ids == input_ids(dir / "in.jsonl"), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(unordered_output_has_every_id_once) {
  temp_dir dir;
  write_file(dir / "job.yaml", jittery_job);
  write_named_items(dir / "in.jsonl", 300);
  const auto result = run_process(run_args(dir, {"--concurrency", "8"}), dir.path());
  BOOST_TEST(result.exit_code == 0, result.err);
  const auto items = by_id(read_jsonl(dir / "out.jsonl"));
  BOOST_TEST(items.size() == 300u);
  BOOST_TEST(items.at("item-42").at("output").get<std::string>().find("Item 42") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(stdin_to_stdout) {
  temp_dir dir;
  write_file(dir / "job.yaml", jittery_job);
  write_named_items(dir / "in.jsonl", 50);
  const auto result = run_process(
      parallm_args({"run", (dir / "job.yaml").string(), "--input", "-", "--output", "-"}),
      dir.path(), dir / "in.jsonl");
  BOOST_TEST(result.exit_code == 0, result.err);
  BOOST_TEST(by_id(parse_jsonl(result.out)).size() == 50u);
}

BOOST_AUTO_TEST_CASE(resume_skips_done_ids_and_repairs_a_torn_line) {
  temp_dir dir;
  write_file(dir / "job.yaml", jittery_job);
  write_named_items(dir / "in.jsonl", 100);
  // A crashed run: two complete lines and half of a third.
  write_file(dir / "out.jsonl",
             "{\"id\":\"item-3\",\"status\":\"ok\",\"output\":\"earlier\"}\n"
             "{\"id\":\"item-7\",\"status\":\"ok\",\"output\":\"earlier\"}\n"
             "{\"id\":\"item-9\",\"sta");
  const auto result = run_process(run_args(dir, {"--resume"}), dir.path());
  BOOST_TEST(result.exit_code == 0, result.err);
  const auto items = by_id(read_jsonl(dir / "out.jsonl"));  // throws on a duplicate id
  BOOST_TEST(items.size() == 100u);
  BOOST_TEST(items.at("item-3").at("output") == "earlier");
  BOOST_TEST(items.at("item-7").at("output") == "earlier");
  BOOST_TEST(items.at("item-9").at("status") == "ok");
  BOOST_TEST(items.at("item-9").at("output") != "earlier");
}

BOOST_AUTO_TEST_CASE(retryable_failures_are_retried_until_they_succeed) {
  temp_dir dir;
  write_file(dir / "job.yaml", R"(version: 1
provider: { kind: sim, fail_rate: 0.5, fail_status: 429 }
limits: { max_retries: 12, backoff_initial_s: 0.001, backoff_max_s: 0.01 }
nodes:
  echo: { prompt: "Item {{n}}" }
)");
  write_named_items(dir / "in.jsonl", 200);
  const auto result = run_process(run_args(dir, {}), dir.path());
  BOOST_TEST(result.exit_code == 0, result.err);
  int retried = 0;
  for (const auto& line : read_jsonl(dir / "out.jsonl")) {
    BOOST_TEST(line.at("status") == "ok");
    retried += line.at("nodes").at("echo").at("attempts").get<int>() > 1;
  }
  BOOST_TEST(retried > 50);  // about half of the items needed a second attempt
}

BOOST_AUTO_TEST_CASE(exhausted_retries_fail_the_item_with_the_reason) {
  temp_dir dir;
  write_file(dir / "job.yaml", R"(version: 1
provider: { kind: sim, fail_rate: 1, fail_status: 500 }
limits: { max_retries: 2, backoff_initial_s: 0.001 }
nodes:
  echo: { prompt: "Item {{n}}" }
)");
  write_named_items(dir / "in.jsonl", 5);
  const auto result = run_process(run_args(dir, {}), dir.path());
  BOOST_TEST(result.exit_code == 3);
  for (const auto& line : read_jsonl(dir / "out.jsonl")) {
    BOOST_TEST(line.at("status") == "failed");
    BOOST_TEST(line.at("nodes").at("echo").at("attempts") == 3);
    BOOST_TEST(line.at("error").get<std::string>().find("500") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(set_overrides_the_job) {
  temp_dir dir;
  write_file(dir / "job.yaml", jittery_job);
  write_named_items(dir / "in.jsonl", 10);
  const auto result =
      run_process(run_args(dir, {"--set", "provider.fail_rate=1", "--set", "limits.max_retries=0"}),
                  dir.path());
  BOOST_TEST(result.exit_code == 3);
  for (const auto& line : read_jsonl(dir / "out.jsonl")) BOOST_TEST(line.at("status") == "failed");
}

BOOST_AUTO_TEST_CASE(sigint_drains_in_flight_items_and_resume_finishes_the_rest) {
  temp_dir dir;
  write_file(dir / "job.yaml", R"(version: 1
provider: { kind: sim, latency_ms: 50 }
limits: { concurrency: 20, window: 40 }
nodes:
  echo: { prompt: "Item {{n}}" }
)");
  write_named_items(dir / "in.jsonl", 2000);
  {
    child_process child(run_args(dir, {}), dir.path());
    BOOST_TEST_REQUIRE(wait_for_lines(dir / "out.jsonl", 1) >= 1u);  // running, handler set
    child.signal(SIGINT);
    const auto result = child.wait(std::chrono::seconds(20));
    BOOST_TEST(result.exit_code == 130, result.err);
    const auto items = by_id(read_jsonl(dir / "out.jsonl"));
    BOOST_TEST(items.size() > 0u);
    BOOST_TEST(items.size() < 2000u);
    for (const auto& [id, line] : items) BOOST_TEST(line.at("status") == "ok");
  }
  const auto resumed =
      run_process(run_args(dir, {"--resume", "--set", "provider.latency_ms=0"}), dir.path());
  BOOST_TEST(resumed.exit_code == 0, resumed.err);
  BOOST_TEST(by_id(read_jsonl(dir / "out.jsonl")).size() == 2000u);
}
