#define BOOST_TEST_MODULE e2e_run_rate_hold
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include "e2e.hpp"
#include "support/fake_upstream.hpp"

// A rate limit that holds calls back for long is said on stderr (the log and the progress
// line), and no header can hold a run back for longer than Retry-After could.

using namespace parallm::test;
using nlohmann::json;

namespace {

void write_items(const std::filesystem::path& path, int n) {
  std::string text;
  for (int i = 0; i < n; ++i) text += "{\"id\": " + std::to_string(i) + "}\n";
  write_file(path, text);
}

// Waits (generously) until the child's stderr holds `text`; returns all of stderr.
std::string wait_for_err(const child_process& child, const std::string& text) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string err;
  while (std::chrono::steady_clock::now() < give_up) {
    err = child.err_so_far();
    if (err.find(text) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return err;
}

// The HH:MM:SS UTC after `prefix` in text, as seconds after midnight; -1 when absent.
int until_of(const std::string& text, const std::string& prefix) {
  const auto at = text.find(prefix);
  if (at == std::string::npos || text.size() < at + prefix.size() + 8) return -1;
  const auto hms = text.substr(at + prefix.size(), 8);
  return std::stoi(hms.substr(0, 2)) * 3600 + std::stoi(hms.substr(3, 2)) * 60 +
         std::stoi(hms.substr(6, 2));
}

int seconds_of_day_now() {
  const auto now = std::chrono::system_clock::now();
  return static_cast<int>(
      std::chrono::floor<std::chrono::seconds>(now - std::chrono::floor<std::chrono::days>(now))
          .count());
}

// Seconds from a to b on a 24-hour clock.
int clock_gap(int a, int b) {
  return ((b - a) % 86400 + 86400) % 86400;
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_rpm_limit_that_holds_calls_is_said_in_the_log_and_the_progress_line) {
  temp_dir dir;
  write_file(dir / "job.yaml",
             "version: 1\nprovider: { kind: sim }\nlimits: { rpm: 2 }\n"
             "nodes:\n  echo: { prompt: \"Item {{id}}\" }\n");
  write_items(dir / "in.jsonl", 3);
  child_process child(run_args(dir, "job.yaml", "in.jsonl", {"--progress"}), dir.path());
  const auto log = "parallm: rate limit: calls held by limits.rpm until ";
  auto err = wait_for_err(child, log);
  const auto start = seconds_of_day_now();
  // The progress line (a line a second off a terminal) carries it too.
  err = wait_for_err(child, " | held by limits.rpm until ");
  child.signal(SIGKILL);
  child.wait();
  BOOST_TEST(err.find(log) != std::string::npos, err);
  BOOST_TEST(err.find(" | held by limits.rpm until ") != std::string::npos, err);
  const auto until = until_of(err, log);
  BOOST_TEST(until >= 0);
  // rpm 2 lets the next call go 30 s after the first.
  BOOST_TEST(clock_gap(start, until) <= 31);
  BOOST_TEST(clock_gap(start, until) >= 10);
}

BOOST_FIXTURE_TEST_SUITE(http, fake_upstream)

BOOST_AUTO_TEST_CASE(a_reset_that_is_a_unix_time_long_past_holds_nothing) {
  temp_dir dir;
  write_file(dir / "job.yaml", "version: 1\nprovider: { kind: openai, base_url: \"" +
                                   base_url("/reset-past/v1") +
                                   "\", model: m }\nlimits: { concurrency: 1 }\n"
                                   "nodes:\n  echo: { prompt: \"Item {{id}}\" }\n");
  write_items(dir / "in.jsonl", 4);
  // Read as 1732250000 seconds from now, this stalled the run for 55 years.
  const auto result = run_process(run_args(dir, "job.yaml", "in.jsonl", {"--no-progress"}),
                                  dir.path(), std::nullopt, std::chrono::seconds(60));
  BOOST_TEST(result.exit_code == 0, result.err);
  BOOST_TEST(read_jsonl(dir / "out.jsonl").size() == 4u);
  BOOST_TEST(result.err.find("held by") == std::string::npos, result.err);
}

BOOST_AUTO_TEST_CASE(a_reset_far_away_holds_calls_an_hour_at_most_and_says_so) {
  temp_dir dir;
  write_file(dir / "job.yaml", "version: 1\nprovider: { kind: openai, base_url: \"" +
                                   base_url("/reset-far/v1") +
                                   "\", model: m }\nlimits: { concurrency: 1 }\n"
                                   "nodes:\n  echo: { prompt: \"Item {{id}}\" }\n");
  write_items(dir / "in.jsonl", 2);
  child_process child(run_args(dir, "job.yaml", "in.jsonl", {"--no-progress"}), dir.path());
  const auto log = "parallm: rate limit: calls held by x-ratelimit-reset-requests until ";
  const auto err = wait_for_err(child, log);
  const auto now = seconds_of_day_now();
  child.signal(SIGKILL);
  child.wait();
  BOOST_TEST(err.find(log) != std::string::npos, err);
  const auto until = until_of(err, log);
  BOOST_TEST(until >= 0);
  // Bounded as Retry-After is: an hour, not until 2100.
  BOOST_TEST(clock_gap(now, until) <= 3600);
  BOOST_TEST(clock_gap(now, until) >= 3000);
}

BOOST_AUTO_TEST_SUITE_END()
