#define BOOST_TEST_MODULE e2e_cluster_netns
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <set>
#include <thread>

#include "e2e.hpp"
#include "netns_lan.hpp"

// The distributed form across hosts, as far as one machine can make hosts: a coordinator,
// three workers and a client, each in a network namespace of its own with its own address on
// a private bridge, talking over real interfaces rather than loopback.

using namespace parallm::test;
using nlohmann::json;

namespace {

constexpr int items = 300;
const std::vector<std::string> workers{"worker1", "worker2", "worker3"};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Polls the child's stderr until it holds `what` `times` times, for at most `limit`.
bool wait_for(const child_process& child, const std::string& what, std::size_t times,
              std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (count(child.err_so_far(), what) >= times) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// Namespaces need root and a kernel that lets them be made; elsewhere the test is skipped,
// saying why.
boost::test_tools::assertion_result namespaces_can_be_made(boost::unit_test::test_unit_id) {
  const auto reason = netns_unavailable_reason();
  boost::test_tools::assertion_result result(reason.empty());
  if (!reason.empty()) {
    std::cout << "e2e_cluster_netns: skipped: " << reason << std::endl;
    result.message() << reason;
  }
  return result;
}

}  // namespace

BOOST_AUTO_TEST_CASE(three_workers_on_other_hosts_share_a_clients_batch,
                     *boost::unit_test::precondition(namespaces_can_be_made)) {
  temp_dir dir;
  write_file(dir / "job.yaml",
             "version: 1\nprovider: { kind: sim, latency_ms: 20, jitter_ms: 10 }\n"
             "limits: { concurrency: 8 }\nnodes:\n  say: { prompt: \"say {{n}}\" }\n");
  write_named_items(dir / "in.jsonl", items);
  {
    std::vector<std::string> hosts{"coord"};
    hosts.insert(hosts.end(), workers.begin(), workers.end());
    hosts.push_back("client");
    // Declared before the processes, so they are gone before their namespaces are removed.
    netns_lan lan(hosts, "10.77.0");
    const auto at = [&](const std::string& port) {
      return "tcp://" + lan.address("coord") + ":" + port;
    };

    child_process coordinator(
        lan.exec("coord", {parallm_exe, "coordinator", "--workers-bind", at("5555"),
                           "--clients-bind", at("5556"), "--heartbeat-ms", "200", "--insecure"}),
        dir.path());
    BOOST_TEST_REQUIRE(
        wait_for(coordinator, "clients on " + at("5556"), 1, std::chrono::seconds(30)),
        coordinator.err_so_far());

    // A capacity well under the batch's width, so no worker can take all of it.
    std::vector<std::unique_ptr<child_process>> running;
    for (const auto& worker : workers) {
      running.push_back(std::make_unique<child_process>(
          lan.exec(worker, {parallm_exe, "worker", "--connect", at("5555"), "--name", worker,
                            "--concurrency", "4"}),
          dir.path()));
    }
    BOOST_TEST_REQUIRE(
        wait_for(coordinator, "joined with capacity 4", workers.size(), std::chrono::seconds(30)),
        coordinator.err_so_far());

    const auto submitted = run_process(
        lan.exec("client", {parallm_exe, "submit", (dir / "job.yaml").string(), "--input",
                            (dir / "in.jsonl").string(), "--output", (dir / "out.jsonl").string(),
                            "--coordinator", at("5556"), "--no-progress"}),
        dir.path(), std::nullopt, std::chrono::seconds(90));
    BOOST_TEST(submitted.exit_code == 0, submitted.err << coordinator.err_so_far());

    const auto lines = by_id(read_jsonl(dir / "out.jsonl"));
    BOOST_TEST(lines.size() == static_cast<std::size_t>(items));
    for (const auto& id : input_ids(dir / "in.jsonl")) {
      const auto line = lines.find(id);
      BOOST_TEST_REQUIRE((line != lines.end()), "no line for " << id);
      BOOST_TEST(line->second.at("status") == "ok", line->second.dump());
    }

    // Every worker did some of it. The coordinator's counts lag its link's tick, so they are
    // read until they add up to the batch.
    json workers_seen;
    long done = 0;
    for (int attempt = 0; attempt < 50 && done < items; ++attempt) {
      const auto status =
          run_process(lan.exec("client", {parallm_exe, "status", "--coordinator", at("5556"),
                                          "--json", "--timeout-ms", "5000"}),
                      dir.path(), std::nullopt, std::chrono::seconds(30));
      BOOST_TEST_REQUIRE(status.exit_code == 0, status.err);
      workers_seen = json::parse(status.out).at("workers");
      done = 0;
      for (const auto& w : workers_seen) done += w.at("done").get<long>();
      if (done < items) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    BOOST_TEST_MESSAGE("workers: " << workers_seen.dump());
    BOOST_TEST(done == items, workers_seen.dump());
    std::set<std::string> names;
    for (const auto& w : workers_seen) {
      names.insert(w.at("name").get<std::string>());
      BOOST_TEST(w.at("done").get<long>() > 0, w.dump());
      BOOST_TEST(w.at("failed").get<long>() == 0, w.dump());
    }
    BOOST_TEST((names == std::set<std::string>(workers.begin(), workers.end())),
               workers_seen.dump());

    for (auto& worker : running) worker->signal(SIGTERM);
    for (auto& worker : running) BOOST_TEST(worker->wait(std::chrono::seconds(30)).exit_code == 0);
    coordinator.signal(SIGTERM);
    BOOST_TEST(coordinator.wait(std::chrono::seconds(30)).exit_code == 0);
  }
  // The LAN is gone with its namespaces, bridge and veths.
  BOOST_TEST(namespaces_of_this_process().empty());
}
