#define BOOST_TEST_MODULE e2e_run_safety
#include <boost/test/unit_test.hpp>

// What a run may cost when things go wrong: an output naming the input, kill -9, signals,
// a full disk, an input that fails mid-read, a slow stdin producer, an actor that dies.
// No case depends on timing beyond generous bounds: they wait for lines to appear, then act.

#include <csignal>
#include <cstdlib>
#include <functional>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "e2e.hpp"

using namespace parallm::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// 200 items at 4 in flight and 500 ms a call: 25 s in all, far longer than any case waits.
const char* const slow_job = R"(version: 1
provider: { kind: sim, latency_ms: 500 }
limits: { concurrency: 4 }
nodes:
  echo: { prompt: "Item {{n}}" }
)";

std::vector<std::string> run_args(const temp_dir& dir, std::vector<std::string> extra = {}) {
  extra.push_back("--no-progress");
  return parallm::test::run_args(dir, "job.yaml", "in.jsonl", std::move(extra));
}

// Every line a whole, ok item of the batch.
void check_complete_items(const std::vector<json>& lines) {
  for (const auto& line : lines) {
    BOOST_TEST(line.at("status") == "ok");
    BOOST_TEST(line.at("output").get<std::string>().find("Item") != std::string::npos);
  }
}

// --resume with no latency finishes the batch: every id exactly once (by_id throws on a
// duplicate).
void resume_completes(const temp_dir& dir, std::size_t n) {
  const auto resumed =
      run_process(run_args(dir, {"--resume", "--set", "provider.latency_ms=0"}), dir.path());
  BOOST_TEST(resumed.exit_code == 0, resumed.err);
  BOOST_TEST(by_id(read_jsonl(dir / "out.jsonl")).size() == n);
}

// PARALLM_TEST_FAULT for the children started in this scope.
struct test_fault {
  explicit test_fault(const char* spec) { ::setenv("PARALLM_TEST_FAULT", spec, 1); }
  ~test_fault() { ::unsetenv("PARALLM_TEST_FAULT"); }
};

// `parallm run DIR/job.yaml` reading stdin from fd, writing DIR/out.jsonl.
child_process run_on_stdin(const temp_dir& dir, int fd) {
  return child_process(parallm_args({"run", (dir / "job.yaml").string(), "--input", "-", "--output",
                                     "out.jsonl", "--no-progress"}),
                       dir.path(), fd);
}

bool write_all(int fd, const std::string& text) {
  return ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_output_that_is_the_input_is_refused_and_the_input_kept) {
  temp_dir dir;
  write_file(dir / "job.yaml", slow_job);
  write_named_items(dir / "in.jsonl", 20);
  const auto original = read_file(dir / "in.jsonl");
  std::filesystem::create_symlink(dir / "in.jsonl", dir / "link.jsonl");
  std::filesystem::create_hard_link(dir / "in.jsonl", dir / "hard.jsonl");
  for (const auto* output : {"in.jsonl", "./in.jsonl", "link.jsonl", "hard.jsonl"}) {
    for (const auto& extra :
         std::vector<std::vector<std::string>>{{}, {"--resume"}, {"--resume", "--retry-failed"}}) {
      std::vector<std::string> args{
          "run",          (dir / "job.yaml").string(), "--input", "in.jsonl", "--output", output,
          "--no-progress"};
      args.insert(args.end(), extra.begin(), extra.end());
      const auto result = run_process(parallm_args(args), dir.path());
      BOOST_TEST(result.exit_code == 2, output);
      BOOST_TEST(result.err.find("is the input file") != std::string::npos, result.err);
      BOOST_TEST((read_file(dir / "in.jsonl") == original), output);
    }
  }
  // The input as stdin, the output naming the same file.
  const auto result = run_process(
      parallm_args({"run", (dir / "job.yaml").string(), "--input", "-", "--output", "hard.jsonl"}),
      dir.path(), dir / "in.jsonl");
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST((read_file(dir / "in.jsonl") == original));
}

BOOST_AUTO_TEST_CASE(kill_9_keeps_the_finished_lines_and_resume_redoes_the_rest) {
  temp_dir dir;
  write_file(dir / "job.yaml", slow_job);
  write_named_items(dir / "in.jsonl", 200);
  {
    child_process child(run_args(dir), dir.path());
    BOOST_TEST_REQUIRE(wait_for_lines(dir / "out.jsonl", 1) >= 1u);
    child.signal(SIGKILL);
    const auto result = child.wait(60s);
    BOOST_TEST(result.exit_code == 128 + SIGKILL);  // killed mid-run, not finished
  }
  const auto lines = read_jsonl(dir / "out.jsonl");
  BOOST_TEST(!lines.empty());
  BOOST_TEST(lines.size() < 200u);
  check_complete_items(lines);
  resume_completes(dir, 200);
}

BOOST_AUTO_TEST_CASE(the_first_signal_finishes_only_the_calls_in_flight) {
  temp_dir dir;
  write_file(dir / "job.yaml", slow_job);
  write_named_items(dir / "in.jsonl", 200);
  {
    child_process child(run_args(dir), dir.path());
    BOOST_TEST_REQUIRE(wait_for_lines(dir / "out.jsonl", 1) >= 1u);
    child.signal(SIGINT);
    const auto result = child.wait(60s);
    BOOST_TEST(result.exit_code == 130, result.err);
    BOOST_TEST(
        result.err.find("admitted items (not written; --resume runs them)") != std::string::npos,
        result.err);
    const auto lines = read_jsonl(dir / "out.jsonl");
    // At the signal a few lines were out and 4 calls at the worker; nowhere near 200.
    BOOST_TEST(lines.size() < 100u);
    check_complete_items(lines);
  }
  resume_completes(dir, 200);
}

BOOST_AUTO_TEST_CASE(the_first_signal_in_ordered_mode_writes_complete_items_past_the_gaps) {
  temp_dir dir;
  write_file(dir / "job.yaml", R"(version: 1
provider: { kind: sim, latency_ms: 100, jitter_ms: 800 }
limits: { concurrency: 8 }
nodes:
  echo: { prompt: "Item {{n}}" }
)");
  write_named_items(dir / "in.jsonl", 200);
  {
    child_process child(run_args(dir, {"--ordered"}), dir.path());
    BOOST_TEST_REQUIRE(wait_for_lines(dir / "out.jsonl", 1) >= 1u);
    child.signal(SIGINT);
    const auto result = child.wait(60s);
    BOOST_TEST(result.exit_code == 130, result.err);
    const auto lines = read_jsonl(dir / "out.jsonl");
    BOOST_TEST(lines.size() < 100u);
    check_complete_items(lines);
  }
  resume_completes(dir, 200);
}

BOOST_AUTO_TEST_CASE(a_second_signal_aborts_with_the_finished_lines_saved) {
  temp_dir dir;
  write_file(dir / "job.yaml", slow_job);
  write_named_items(dir / "in.jsonl", 200);
  {
    child_process child(run_args(dir), dir.path());
    BOOST_TEST_REQUIRE(wait_for_lines(dir / "out.jsonl", 1) >= 1u);
    child.signal(SIGINT);
    child.signal(SIGINT);
    const auto result = child.wait(60s);
    BOOST_TEST(result.exit_code == 130, result.err);
  }
  const auto lines = read_jsonl(dir / "out.jsonl");
  BOOST_TEST(!lines.empty());
  check_complete_items(lines);
  resume_completes(dir, 200);
}

BOOST_AUTO_TEST_CASE(a_failed_write_stops_the_run_at_once) {
  temp_dir dir;
  write_file(dir / "job.yaml", slow_job);
  write_named_items(dir / "in.jsonl", 200);
  const auto result =
      run_process(parallm_args({"run", (dir / "job.yaml").string(), "--input",
                                (dir / "in.jsonl").string(), "--output", "/dev/full",
                                "--no-progress", "--stats", (dir / "stats.json").string()}),
                  dir.path());
  BOOST_TEST(result.exit_code == 1);
  BOOST_TEST(result.err.find("/dev/full: No space left on device") != std::string::npos,
             result.err);
  // Stopped at the first flush, not after paying for all 200 calls.
  const auto stats = json::parse(read_file(dir / "stats.json"));
  BOOST_TEST(stats.at("calls").get<int>() < 100);
}

BOOST_AUTO_TEST_CASE(a_read_error_is_reported_with_the_line_where_reading_stopped) {
  temp_dir dir;
  write_file(dir / "job.yaml", slow_job);
  int ends[2];
  BOOST_TEST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) == 0);
  // Bytes left unread on our end make closing it reset the connection: the child's next
  // read fails with ECONNRESET once it has read the three lines.
  BOOST_TEST_REQUIRE(::write(ends[1], "x", 1) == 1);
  const std::string lines = "{\"id\":1,\"n\":1}\n{\"id\":2,\"n\":2}\n{\"id\":3,\"n\":3}\n";
  BOOST_TEST_REQUIRE(write_all(ends[0], lines));
  child_process child = run_on_stdin(dir, ends[1]);
  ::close(ends[1]);
  BOOST_TEST_REQUIRE(wait_for_lines(dir / "out.jsonl", 1) >= 1u);
  ::close(ends[0]);
  const auto result = child.wait(60s);
  BOOST_TEST(result.exit_code == 1);
  BOOST_TEST(result.err.find("Connection reset by peer") != std::string::npos, result.err);
  BOOST_TEST(result.err.find("after line 3") != std::string::npos, result.err);
  BOOST_TEST(read_jsonl(dir / "out.jsonl").size() == 3u);
}

BOOST_AUTO_TEST_CASE(a_slow_stdin_producer_gets_each_line_run_as_it_comes) {
  temp_dir dir;
  write_file(dir / "job.yaml", slow_job);
  int pipe_ends[2];
  BOOST_TEST_REQUIRE(::pipe2(pipe_ends, O_CLOEXEC) == 0);
  child_process child = run_on_stdin(dir, pipe_ends[0]);
  ::close(pipe_ends[0]);
  const std::string first = "{\"id\":\"l1\",\"n\":1}\n";
  BOOST_TEST_REQUIRE(write_all(pipe_ends[1], first));
  // The first line's result is written while the producer is still silent.
  BOOST_TEST(wait_for_lines(dir / "out.jsonl", 1) >= 1u);
  const std::string second = "{\"id\":\"l2\",\"n\":2}\n";
  BOOST_TEST_REQUIRE(write_all(pipe_ends[1], second));
  ::close(pipe_ends[1]);
  const auto result = child.wait(60s);
  BOOST_TEST(result.exit_code == 0, result.err);
  BOOST_TEST(by_id(read_jsonl(dir / "out.jsonl")).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_signal_while_stdin_is_silent_still_ends_the_run) {
  temp_dir dir;
  write_file(dir / "job.yaml", slow_job);
  int pipe_ends[2];
  BOOST_TEST_REQUIRE(::pipe2(pipe_ends, O_CLOEXEC) == 0);
  child_process child = run_on_stdin(dir, pipe_ends[0]);
  ::close(pipe_ends[0]);
  const std::string first = "{\"id\":\"l1\",\"n\":1}\n";
  BOOST_TEST_REQUIRE(write_all(pipe_ends[1], first));
  BOOST_TEST_REQUIRE(wait_for_lines(dir / "out.jsonl", 1) >= 1u);
  // The reader now waits for a line that never comes; the signal must not wait for it.
  child.signal(SIGINT);
  const auto result = child.wait(60s);
  ::close(pipe_ends[1]);
  BOOST_TEST(result.exit_code == 130, result.err);
  BOOST_TEST(read_jsonl(dir / "out.jsonl").size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_actor_dying_ends_the_run_naming_it_with_its_lines_saved) {
  struct fault_case {
    const char* spec;
    const char* message;
    int items;
  };
  // The reader dies on its second request, so its input is longer than one read (512).
  const std::vector<fault_case> cases{{"reducer:after=3", "the reducer failed", 200},
                                      {"coordinator:after=10", "the coordinator failed", 200},
                                      {"worker:after=10", "worker 1 failed", 200},
                                      {"reader:after=1", "the input reader failed", 1000}};
  for (const auto& c : cases) {
    temp_dir dir;
    write_file(dir / "job.yaml", slow_job);
    write_named_items(dir / "in.jsonl", c.items);
    process_result result;
    {
      test_fault fault(c.spec);
      result = run_process(run_args(dir), dir.path(), std::nullopt, 60s);
    }
    BOOST_TEST(result.exit_code == 1, c.spec);
    BOOST_TEST(result.err.find(c.message) != std::string::npos, result.err);
    BOOST_TEST(result.err.find("injected fault") != std::string::npos, result.err);
    const auto lines = read_jsonl(dir / "out.jsonl");
    BOOST_TEST(lines.size() < static_cast<std::size_t>(c.items), c.spec);
    // The lines finished before the death are saved (the reader may die before any is).
    if (!std::string(c.spec).starts_with("reader")) BOOST_TEST(!lines.empty(), c.spec);
    check_complete_items(lines);
    resume_completes(dir, static_cast<std::size_t>(c.items));
  }
}
