#define BOOST_TEST_MODULE e2e_cluster_faults
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <map>
#include <string>

#include "cluster.hpp"
#include "item_checks.hpp"

// A cluster that loses a worker, gains one, loses its coordinator or its client mid-batch, or
// runs two batches at once, still writes every item exactly once. The batches are long enough
// (calls of 50 ms on the sim) that the fault lands while many items are still to do, and each
// test checks that it did.

using namespace parallm::test;
using nlohmann::json;

namespace {

// A temp dir with job.yaml (calls of 50 ms, 8 in flight per worker) and in.jsonl of `items`.
struct batch_files {
  explicit batch_files(int items) : items(items) {
    write_file(dir / "job.yaml", sim_job(50, 8));
    write_named_items(dir / "in.jsonl", items);
  }
  std::vector<std::string> args(const std::string& out, std::vector<std::string> extra = {}) const {
    std::vector<std::string> a{(dir / "job.yaml").string(), "--input", (dir / "in.jsonl").string(),
                               "--output", (dir / out).string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  temp_dir dir;
  int items;
};

// For the tests of a lost or hung worker: given up after 5 silent heartbeats of 150 ms.
cluster_options quick_to_give_up() {
  cluster_options options;
  options.liveness = 5;
  return options;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_worker_killed_mid_batch_loses_no_item) {
  batch_files files(2000);
  cluster nodes(files.dir, quick_to_give_up());
  nodes.start_coordinator();
  for (const auto* name : {"w1", "w2", "w3"}) nodes.add_worker(name, 8);
  child_process submit(nodes.submit_args(files.args("out.jsonl")), files.dir.path());

  const auto before = wait_for_lines(files.dir / "out.jsonl", 100);
  BOOST_TEST_REQUIRE(before >= 100u, "no lines came; coordinator: " << nodes.coordinator_log());
  nodes.kill_worker("w2");
  const auto at_kill = count_lines(files.dir / "out.jsonl");
  BOOST_TEST_MESSAGE("w2 killed with " << at_kill << " of 2000 lines written");
  BOOST_TEST_REQUIRE(at_kill < 1500u, "the batch was nearly done before the kill");

  const auto end = submit.wait(std::chrono::seconds(90));
  BOOST_TEST(end.exit_code == 0, end.err);
  check_each_item_once_and_ok(files.dir / "out.jsonl", 2000);
  BOOST_TEST(nodes.logged("w2", "is gone"), nodes.coordinator_log());
}

// 2000 items, ~6 s with one worker: the late one has until line 1500 to start and join.
BOOST_AUTO_TEST_CASE(a_worker_started_mid_batch_gets_tasks) {
  constexpr int items = 2000;
  batch_files files(items);
  cluster nodes(files.dir);
  nodes.start_coordinator();
  nodes.add_worker("early", 8);
  child_process submit(nodes.submit_args(files.args("out.jsonl")), files.dir.path());

  BOOST_TEST_REQUIRE(wait_for_lines(files.dir / "out.jsonl", 40) >= 40u,
                     "no lines came; coordinator: " << nodes.coordinator_log());
  nodes.add_worker("late", 8);
  const auto at_join = count_lines(files.dir / "out.jsonl");
  BOOST_TEST_MESSAGE("late joined with " << at_join << " of " << items << " lines written");
  BOOST_TEST_REQUIRE(at_join < 1500u, "the batch was nearly done before the late worker joined");

  const auto end = submit.wait(std::chrono::seconds(90));
  BOOST_TEST(end.exit_code == 0, end.err);
  check_each_item_once_and_ok(files.dir / "out.jsonl", items);

  const auto status = nodes.status();
  std::map<std::string, json> workers;
  for (const auto& w : status.at("workers")) workers[w.at("name").get<std::string>()] = w;
  BOOST_TEST_REQUIRE(workers.count("late") == 1u, status.dump());
  BOOST_TEST_REQUIRE(workers.count("early") == 1u, status.dump());
  BOOST_TEST(workers["late"].at("done").get<int>() > 0, workers["late"].dump());
  BOOST_TEST(
      workers["early"].at("done").get<int>() + workers["late"].at("done").get<int>() >= items,
      workers["early"].dump() << workers["late"].dump());
}

BOOST_AUTO_TEST_CASE(a_coordinator_killed_and_restarted_mid_batch_loses_no_item) {
  batch_files files(2000);
  cluster nodes(files.dir);
  nodes.start_coordinator();
  for (const auto* name : {"w1", "w2", "w3"}) nodes.add_worker(name, 8);
  child_process submit(
      nodes.submit_args(files.args("out.jsonl", {"--stats", (files.dir / "stats.json").string()})),
      files.dir.path());

  BOOST_TEST_REQUIRE(wait_for_lines(files.dir / "out.jsonl", 200) >= 200u,
                     "no lines came; coordinator: " << nodes.coordinator_log());
  nodes.kill_coordinator();
  const auto at_kill = count_lines(files.dir / "out.jsonl");
  BOOST_TEST_MESSAGE("coordinator killed with " << at_kill << " of 2000 lines written");
  BOOST_TEST_REQUIRE(at_kill < 1500u, "the batch was nearly done before the kill");

  // The same endpoints: the workers and the client find it where they left the old one.
  nodes.start_coordinator();
  for (const auto* name : {"w1", "w2", "w3"}) {
    BOOST_TEST(nodes.wait_joined(name),
               name << " did not come back; its log: " << nodes.worker_log(name));
  }
  const auto end = submit.wait(std::chrono::seconds(90));
  BOOST_TEST(end.exit_code == 0, end.err);
  check_each_item_once_and_ok(files.dir / "out.jsonl", 2000);
  // The new coordinator ran the rest of the batch.
  BOOST_TEST(nodes.coordinator_log().find("batch 1 done") != std::string::npos,
             nodes.coordinator_log());
  // The client's counts cover both coordinators' sessions: one call per item, each of at
  // least one attempt (not only the calls the new coordinator made).
  const auto stats = json::parse(read_file(files.dir / "stats.json"));
  BOOST_TEST(stats.at("calls").get<std::uint64_t>() == 2000u, stats.dump());
  BOOST_TEST(stats.at("attempts").get<std::uint64_t>() >= stats.at("calls").get<std::uint64_t>(),
             stats.dump());
}

// 2000 items a batch, ~12 s for both: the second submit may start up to ~3 s after the first
// (a loaded machine, a sanitizer build) before the half-way checks below could fail wrongly.
BOOST_AUTO_TEST_CASE(two_batches_at_once_both_progress_from_the_start) {
  constexpr std::size_t items = 2000;
  constexpr std::size_t half = items / 2;
  batch_files files(items);
  cluster nodes(files.dir);
  nodes.start_coordinator();
  for (const auto* name : {"w1", "w2"}) nodes.add_worker(name, 8);
  const auto a_out = files.dir / "a.jsonl";
  const auto b_out = files.dir / "b.jsonl";
  child_process a(nodes.submit_args(files.args("a.jsonl")), files.dir.path());
  child_process b(nodes.submit_args(files.args("b.jsonl")), files.dir.path());

  // Each batch's line count at the moment the other wrote its first line, and when the other
  // was complete.
  std::size_t a_when_b_started = 0, b_when_a_started = 0;
  std::size_t a_when_b_done = 0, b_when_a_done = 0;
  bool a_started = false, b_started = false, a_done = false, b_done = false;
  const auto watch = [&] {
    const auto na = count_lines(a_out), nb = count_lines(b_out);
    if (!a_started && na > 0) a_started = true, b_when_a_started = nb;
    if (!b_started && nb > 0) b_started = true, a_when_b_started = na;
    if (!a_done && na == items) a_done = true, b_when_a_done = nb;
    if (!b_done && nb == items) b_done = true, a_when_b_done = na;
  };
  BOOST_TEST_REQUIRE(wait_until([&] { return watch(), a_started && b_started; }),
                     "a wrote " << count_lines(a_out) << ", b " << count_lines(b_out));
  // Both show in status while they run, each with its own client and lines done.
  const auto status = nodes.status();
  BOOST_TEST_REQUIRE(status.at("batches").size() == 2u, status.dump());
  BOOST_TEST(status.at("batches")[0].at("client") != status.at("batches")[1].at("client"));
  for (const auto& batch : status.at("batches")) {
    BOOST_TEST(batch.at("done").get<int>() > 0, batch.dump());
    BOOST_TEST(batch.at("done").get<std::size_t>() < items, batch.dump());
  }
  const bool both_done =
      wait_until([&] { return watch(), a_done && b_done; }, std::chrono::seconds(90));
  BOOST_TEST_MESSAGE("first lines: a at b's " << b_when_a_started << ", b at a's "
                                              << a_when_b_started << "; done: a at b's "
                                              << b_when_a_done << ", b at a's " << a_when_b_done);
  BOOST_TEST_REQUIRE(both_done, "a wrote " << count_lines(a_out) << ", b " << count_lines(b_out));
  // Neither waited for the other to be mostly done before its first line...
  BOOST_TEST(a_when_b_started < half);
  BOOST_TEST(b_when_a_started < half);
  // ...and the one that finished first left the other well under way.
  if (b_when_a_done < items) BOOST_TEST(b_when_a_done > half);
  if (a_when_b_done < items) BOOST_TEST(a_when_b_done > half);

  const auto a_end = a.wait(std::chrono::seconds(30));
  const auto b_end = b.wait(std::chrono::seconds(30));
  BOOST_TEST(a_end.exit_code == 0, a_end.err);
  BOOST_TEST(b_end.exit_code == 0, b_end.err);
  check_each_item_once_and_ok(a_out, static_cast<int>(items));
  check_each_item_once_and_ok(b_out, static_cast<int>(items));
}

BOOST_AUTO_TEST_CASE(a_killed_submit_resumes_where_it_stopped) {
  batch_files files(1000);
  cluster nodes(files.dir);
  nodes.start_coordinator();
  for (const auto* name : {"w1", "w2"}) nodes.add_worker(name, 8);
  const auto out = files.dir / "out.jsonl";
  {
    child_process submit(nodes.submit_args(files.args("out.jsonl")), files.dir.path());
    BOOST_TEST_REQUIRE(wait_for_lines(out, 100) >= 100u,
                       "no lines came; coordinator: " << nodes.coordinator_log());
    submit.signal(SIGKILL);
    submit.wait();
  }
  const auto at_kill = count_lines(out);
  BOOST_TEST_MESSAGE("submit killed with " << at_kill << " of 1000 lines written");
  BOOST_TEST_REQUIRE(at_kill < 900u, "the batch was nearly done before the kill");

  const auto resumed = nodes.submit(files.args("out.jsonl", {"--resume"}));
  BOOST_TEST(resumed.exit_code == 0, resumed.err);
  check_each_item_once_and_ok(out, 1000);
}

BOOST_AUTO_TEST_CASE(a_worker_that_hangs_is_given_up_and_rejoins_when_it_wakes) {
  batch_files files(1000);
  cluster nodes(files.dir, quick_to_give_up());
  nodes.start_coordinator();
  for (const auto* name : {"w1", "w2"}) nodes.add_worker(name, 8);
  child_process submit(nodes.submit_args(files.args("out.jsonl")), files.dir.path());

  BOOST_TEST_REQUIRE(wait_for_lines(files.dir / "out.jsonl", 100) >= 100u,
                     "no lines came; coordinator: " << nodes.coordinator_log());
  nodes.signal_worker("w2", SIGSTOP);
  // Silent past its liveness (5 heartbeats of 150 ms), it is given up by name.
  const bool given_up = wait_until([&] { return nodes.logged("w2", "is gone"); });
  const auto at_wake = count_lines(files.dir / "out.jsonl");
  nodes.signal_worker("w2", SIGCONT);
  BOOST_TEST(given_up, nodes.coordinator_log());
  BOOST_TEST_MESSAGE("w2 woke with " << at_wake << " of 1000 lines written");
  BOOST_TEST_REQUIRE(at_wake < 900u, "the batch was nearly done before w2 was given up");

  const auto end = submit.wait(std::chrono::seconds(90));
  BOOST_TEST(end.exit_code == 0, end.err);
  check_each_item_once_and_ok(files.dir / "out.jsonl", 1000);
  // It says hello again once it hears from the coordinator, which takes it as a new worker.
  BOOST_TEST(wait_until([&] {
               const auto log = nodes.coordinator_log();
               const auto gone = log.find(") is gone");
               if (gone == std::string::npos) return false;
               const auto again = log.find("worker w2 (", gone);
               return again != std::string::npos &&
                      log.find(") joined with capacity", again) != std::string::npos;
             }),
             nodes.coordinator_log());
}
