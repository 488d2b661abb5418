#define BOOST_TEST_MODULE e2e_cluster_curve
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

#include <sys/stat.h>

#include "cluster.hpp"

// The cluster with CURVE on: keys made by `parallm keygen` for the coordinator, a worker and a
// client; the coordinator admits the worker's and the client's public keys from an allow-list
// directory; a batch submitted with the client's key runs on the worker to the end, and
// `status` with the client's key answers. (The refusals are tests/e2e/cluster_security_test.)

using namespace parallm::test;

namespace {

// `parallm keygen --out DIR/NAME`; the fingerprint it printed.
std::string keygen(const temp_dir& dir, const std::string& name) {
  const auto made = run_process(parallm_args({"keygen", "--out", (dir / name).string()}),
                                dir.path(), std::nullopt, cluster_patience);
  BOOST_REQUIRE_MESSAGE(made.exit_code == 0, made.err);
  return made.err;
}

}  // namespace

BOOST_AUTO_TEST_CASE(keygen_writes_a_private_secret_and_a_public_key_and_keeps_them) {
  temp_dir dir;
  const auto said = keygen(dir, "coord");
  const auto public_key = read_file(dir / "coord.public");
  BOOST_TEST(public_key.size() == 41u);  // 40 characters and a newline
  BOOST_TEST(said == "parallm keygen: wrote " + (dir / "coord").string() + ".secret and " +
                         (dir / "coord").string() + ".public (key " + public_key.substr(0, 10) +
                         ")\n");
  BOOST_TEST(said.find(read_file(dir / "coord.secret").substr(0, 40)) == std::string::npos);
  struct stat secret_info {};
  struct stat public_info {};
  BOOST_REQUIRE(::stat((dir / "coord.secret").c_str(), &secret_info) == 0);
  BOOST_REQUIRE(::stat((dir / "coord.public").c_str(), &public_info) == 0);
  BOOST_TEST((secret_info.st_mode & 0777) == 0600u);
  BOOST_TEST((public_info.st_mode & 0777) == 0644u);

  const auto again = run_process(parallm_args({"keygen", "--out", (dir / "coord").string()}),
                                 dir.path(), std::nullopt, cluster_patience);
  BOOST_TEST(again.exit_code == 2);
  BOOST_TEST(read_file(dir / "coord.public") == public_key);
  const auto forced =
      run_process(parallm_args({"keygen", "--out", (dir / "coord").string(), "--force"}),
                  dir.path(), std::nullopt, cluster_patience);
  BOOST_TEST(forced.exit_code == 0, forced.err);
  BOOST_TEST(read_file(dir / "coord.public") != public_key);
}

BOOST_AUTO_TEST_CASE(a_batch_runs_on_an_authorized_worker_for_an_authorized_client) {
  temp_dir dir;
  keygen(dir, "coord");
  keygen(dir, "worker");
  keygen(dir, "client");
  std::filesystem::create_directory(dir / "keys");
  std::filesystem::copy_file(dir / "worker.public", dir / "keys" / "worker.public");
  std::filesystem::copy_file(dir / "client.public", dir / "keys" / "client.public");

  cluster_options options;
  options.coordinator_flags = {"--curve-secret", (dir / "coord.secret").string(),
                               "--authorized-keys", (dir / "keys").string()};
  options.worker_flags = {"--curve-secret", (dir / "worker.secret").string(), "--server-key",
                          (dir / "coord.public").string()};
  options.client_flags = {"--curve-secret", (dir / "client.secret").string(), "--server-key",
                          (dir / "coord.public").string()};
  cluster nodes(dir, options);
  nodes.start_coordinator();
  BOOST_TEST(nodes.coordinator_log().find("warning: no --curve-secret") == std::string::npos);
  nodes.add_worker("w1", 8);

  write_file(dir / "job.yaml", sim_job(5, 8));
  write_named_items(dir / "in.jsonl", 200);
  const auto done = nodes.submit({"job.yaml", "--input", "in.jsonl", "--output", "out.jsonl"});
  BOOST_TEST(done.exit_code == 0, done.err << nodes.coordinator_log());
  std::set<std::string> ok;
  for (const auto& line : read_jsonl(dir / "out.jsonl")) {
    if (line.value("status", "") == "ok") ok.insert(line.at("id").get<std::string>());
  }
  BOOST_TEST(ok.size() == 200u);

  const auto status = nodes.status();
  BOOST_TEST(status.at("workers").size() == 1u);
  BOOST_TEST(status.at("workers").at(0).at("name") == "w1");
  const auto& counters = status.at("counters");
  for (const auto* name : {"workers.refused.unknown_key", "workers.refused.no_curve",
                           "clients.refused.unknown_key", "clients.refused.no_curve"}) {
    BOOST_TEST(counters.at(name) == 0, name);
  }
  BOOST_TEST(nodes.coordinator_log().find("refused") == std::string::npos, nodes.coordinator_log());
}

BOOST_AUTO_TEST_CASE(without_keys_the_coordinator_warns_and_binds_only_loopback) {
  temp_dir dir;
  const auto refused = run_process(parallm_args({"coordinator", "--workers-bind", "tcp://0.0.0.0:*",
                                                 "--clients-bind", "tcp://127.0.0.1:*"}),
                                   dir.path(), std::nullopt, cluster_patience);
  BOOST_TEST(refused.exit_code == 2);
  BOOST_TEST(refused.err.find("parallm coordinator: warning: no --curve-secret: traffic is plain "
                              "text and any peer that can reach these ports can join") !=
             std::string::npos);
  BOOST_TEST(refused.err.find("--insecure") != std::string::npos);

  cluster nodes(dir);
  nodes.start_coordinator();
  BOOST_TEST(nodes.coordinator_log().find("warning: no --curve-secret") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(curve_flags_that_do_not_fit_are_refused_before_anything_starts) {
  temp_dir dir;
  keygen(dir, "coord");
  keygen(dir, "client");
  const auto secret = (dir / "coord.secret").string();
  const auto coordinator = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"coordinator", "--workers-bind", "tcp://127.0.0.1:*",
                                  "--clients-bind", "tcp://127.0.0.1:*"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_process(parallm_args(args), dir.path(), std::nullopt, cluster_patience);
  };
  // No allow-list for a side.
  const auto no_list = coordinator({"--curve-secret", secret});
  BOOST_TEST(no_list.exit_code == 2);
  BOOST_TEST(no_list.err.find("allow-list") != std::string::npos);
  std::filesystem::create_directory(dir / "w");
  BOOST_TEST(coordinator({"--curve-secret", secret, "--authorized-workers", (dir / "w").string()})
                 .exit_code == 2);
  // A secret key file others may read.
  ::chmod(secret.c_str(), 0644);
  const auto exposed =
      coordinator({"--curve-secret", secret, "--authorized-keys", (dir / "w").string()});
  BOOST_TEST(exposed.exit_code == 2);
  BOOST_TEST(exposed.err.find(secret) != std::string::npos);
  ::chmod(secret.c_str(), 0600);
  // A client with one of the two flags.
  const auto half = run_process(parallm_args({"status", "--coordinator", "tcp://127.0.0.1:9",
                                              "--curve-secret", (dir / "client.secret").string()}),
                                dir.path(), std::nullopt, cluster_patience);
  BOOST_TEST(half.exit_code == 2);
}
