#define BOOST_TEST_MODULE e2e_cluster_security
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <unistd.h>

#include "cluster.hpp"
#include "item_checks.hpp"

// Issue 9 on real processes: a coordinator with CURVE keys and allow-lists gives work only to
// the workers and batches of keys it lists. Strangers (a worker or a client with a key it does
// not list, and each without CURVE at all) come while a batch runs: they get nothing, each is
// logged once however often it tries again (one without CURVE once per address the coordinator
// could tell), each try is counted, and the batch goes on.
// A key copied into the directory is taken without a restart. A capture of the loopback
// traffic finds the prompts in clear only when the cluster runs without CURVE.

using namespace parallm::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// One `parallm keygen --out DIR/keys/NAME`, and what the tests need of it.
struct key_pair {
  fs::path secret;
  fs::path public_key;
  std::string secret_text;
  // The first 10 characters of the public key: how the logs name it.
  std::string fingerprint;
};

std::string trimmed(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

key_pair keygen(const temp_dir& dir, const std::string& name) {
  fs::create_directories(dir / "keys");
  const auto prefix = dir / "keys" / name;
  const auto made = run_process(parallm_args({"keygen", "--out", prefix.string()}), dir.path(),
                                std::nullopt, cluster_patience);
  BOOST_TEST_REQUIRE(made.exit_code == 0, "keygen " << name << ": " << made.err);
  key_pair keys;
  keys.secret = prefix.string() + ".secret";
  keys.public_key = prefix.string() + ".public";
  keys.secret_text = trimmed(read_file(keys.secret));
  const auto public_text = trimmed(read_file(keys.public_key));
  BOOST_TEST_REQUIRE(keys.secret_text.size() == 40u,
                     "keygen " << name << " wrote a secret of " << keys.secret_text.size());
  BOOST_TEST_REQUIRE(public_text.size() == 40u, "keygen " << name << ": " << public_text);
  keys.fingerprint = public_text.substr(0, 10);
  BOOST_TEST(made.err.find("(key " + keys.fingerprint + ")") != std::string::npos, made.err);
  BOOST_TEST(made.err.find(keys.secret_text) == std::string::npos, "keygen printed its secret");
  return keys;
}

// A temp dir with keys for the coordinator, one worker and one client, and an allow-list per
// side holding a copy of that worker's and that client's public key, as an operator sets up.
struct secured_files {
  secured_files()
      : coordinator(keygen(dir, "coordinator")),
        worker(keygen(dir, "worker")),
        client(keygen(dir, "client")),
        workers_dir(dir / "authorized-workers"),
        clients_dir(dir / "authorized-clients") {
    fs::create_directories(workers_dir);
    fs::create_directories(clients_dir);
    authorize(workers_dir, worker, "worker.public");
    authorize(clients_dir, client, "client.public");
  }

  static void authorize(const fs::path& list, const key_pair& keys, const std::string& as) {
    fs::copy_file(keys.public_key, list / as);
  }

  // What a worker, submit or status with these keys adds to its command line.
  std::vector<std::string> peer_flags(const key_pair& keys) const {
    return {"--curve-secret", keys.secret.string(), "--server-key",
            coordinator.public_key.string()};
  }

  cluster_options options() const {
    cluster_options o;
    o.coordinator_flags = {"--curve-secret",       coordinator.secret.string(),
                           "--authorized-workers", workers_dir.string(),
                           "--authorized-clients", clients_dir.string()};
    o.worker_flags = peer_flags(worker);
    o.client_flags = peer_flags(client);
    return o;
  }

  // submit's arguments for job.yaml and in.jsonl in the dir, writing `out` there.
  std::vector<std::string> batch(const std::string& out) const {
    return {(dir / "job.yaml").string(), "--input", (dir / "in.jsonl").string(), "--output",
            (dir / out).string()};
  }

  temp_dir dir;
  key_pair coordinator, worker, client;
  fs::path workers_dir, clients_dir;
};

// argv of `parallm submit ARGS... --coordinator CLIENTS --no-progress FLAGS...`: a client with
// other keys than the cluster's own, or none.
std::vector<std::string> submit_with(const cluster& nodes, std::vector<std::string> args,
                                     const std::vector<std::string>& flags) {
  args.insert(args.begin(), "submit");
  args.insert(args.end(), {"--coordinator", nodes.endpoints().clients, "--no-progress"});
  args.insert(args.end(), flags.begin(), flags.end());
  return parallm_args(args);
}

// How many times `log` holds `text` (a whole line with its '\n'), or matches `pattern`.
std::size_t lines_with(const std::string& log, const std::string& text) {
  std::size_t n = 0;
  for (auto at = log.find(text); at != std::string::npos; at = log.find(text, at + text.size())) {
    ++n;
  }
  return n;
}
std::size_t lines_matching(const std::string& log, const std::regex& pattern) {
  return static_cast<std::size_t>(
      std::distance(std::sregex_iterator(log.begin(), log.end(), pattern), std::sregex_iterator()));
}

std::string refused_key_line(const std::string& side, const key_pair& keys) {
  return "parallm coordinator: refused " + side + " at 127.0.0.1: key " + keys.fingerprint +
         " is not authorized\n";
}
// ADDR is the peer's IP, or words saying it was gone before it could be read.
std::regex refused_plain_line(const std::string& side) {
  return std::regex("parallm coordinator: refused " + side +
                    R"( at (.+): no CURVE \(plain-text peer\)\n)");
}

// How many times each ADDR is in a refused_plain_line of `side`.
std::map<std::string, std::size_t> plain_text_refusals(const std::string& log,
                                                       const std::string& side) {
  std::map<std::string, std::size_t> addresses;
  const auto pattern = refused_plain_line(side);
  for (auto it = std::sregex_iterator(log.begin(), log.end(), pattern);
       it != std::sregex_iterator(); ++it) {
    ++addresses[(*it)[1].str()];
  }
  return addresses;
}

std::uint64_t counter(const json& status, const std::string& name) {
  return status.at("counters").at(name).get<std::uint64_t>();
}

std::vector<std::string> worker_names(const json& status) {
  std::vector<std::string> names;
  for (const auto& w : status.at("workers")) names.push_back(w.at("name").get<std::string>());
  return names;
}

bool lists(const json& status, const std::string& name) {
  const auto names = worker_names(status);
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::uint64_t calls_done(const json& status) {
  std::uint64_t done = 0;
  for (const auto& w : status.at("workers")) done += w.at("done").get<std::uint64_t>();
  return done;
}

// The status once the coordinator's counts have caught up with a batch of `items` that ended
// (its snapshot is as of its last tick): every call counted, no batch left.
json status_after_batch(const cluster& nodes, int items) {
  json status;
  wait_until([&] {
    status = nodes.status();
    return calls_done(status) >= static_cast<std::uint64_t>(items) && status.at("batches").empty();
  });
  return status;
}

const std::string plain_text_warning =
    "parallm coordinator: warning: no --curve-secret: traffic is plain text";

}  // namespace

BOOST_AUTO_TEST_CASE(an_authorized_worker_gets_tasks_and_the_batch_completes) {
  constexpr int items = 300;
  secured_files files;
  write_file(files.dir / "job.yaml", sim_job(20, 8));
  write_named_items(files.dir / "in.jsonl", items);
  cluster nodes(files.dir, files.options());
  nodes.start_coordinator();
  nodes.add_worker("w1", 8);

  const auto end = nodes.submit(files.batch("out.jsonl"));
  BOOST_TEST(end.exit_code == 0, end.err << "\ncoordinator: " << nodes.coordinator_log());
  check_each_item_once_and_ok(files.dir / "out.jsonl", items);
  const auto status = status_after_batch(nodes, items);
  BOOST_TEST_REQUIRE(lists(status, "w1"), status.dump());
  BOOST_TEST(status.at("workers")[0].at("done").get<int>() == items, status.dump());
  BOOST_TEST(
      nodes.worker_log("w1").find("parallm worker w1: joined coordinator at ") != std::string::npos,
      nodes.worker_log("w1"));
  const auto log = nodes.coordinator_log();
  BOOST_TEST(log.find(plain_text_warning) == std::string::npos, log);
  BOOST_TEST(log.find("refused") == std::string::npos, log);
  for (const auto* name : {"workers.refused.unknown_key", "workers.refused.no_curve",
                           "clients.refused.unknown_key", "clients.refused.no_curve"}) {
    BOOST_TEST(counter(status, name) == 0u, name << ": " << status.at("counters").dump());
  }
}

BOOST_AUTO_TEST_CASE(strangers_get_nothing_are_logged_once_and_the_running_batch_goes_on) {
  constexpr int items = 3000;
  secured_files files;
  write_file(files.dir / "job.yaml", sim_job(50, 8));
  write_named_items(files.dir / "in.jsonl", items);
  cluster nodes(files.dir, files.options());
  nodes.start_coordinator();
  for (const auto* name : {"w1", "w2"}) nodes.add_worker(name, 8);
  const auto before = nodes.status();
  const auto out = files.dir / "out.jsonl";
  child_process submit(nodes.submit_args(files.batch("out.jsonl")), files.dir.path());
  BOOST_TEST_REQUIRE(wait_for_lines(out, 50) >= 50u,
                     "no lines came; coordinator: " << nodes.coordinator_log());

  // A worker and a client with keys of their own that nobody put in a directory, and one of
  // each that speaks no CURVE at all; all four keep trying for as long as they run.
  const auto stranger = keygen(files.dir, "stranger");
  const auto intruder = keygen(files.dir, "intruder");
  nodes.start_worker("stranger", 8, files.peer_flags(stranger));
  nodes.start_worker("plain", 8, std::vector<std::string>{});
  child_process intruder_submit(
      submit_with(nodes, files.batch("intruder.jsonl"), files.peer_flags(intruder)),
      files.dir.path());
  child_process plain_submit(submit_with(nodes, files.batch("plain.jsonl"), {}), files.dir.path());

  const auto worker_key_line = refused_key_line("worker", stranger);
  const auto client_key_line = refused_key_line("client", intruder);
  const bool all_logged = wait_until([&] {
    const auto log = nodes.coordinator_log();
    return lines_with(log, worker_key_line) > 0 && lines_with(log, client_key_line) > 0 &&
           !plain_text_refusals(log, "worker").empty() &&
           !plain_text_refusals(log, "client").empty();
  });
  BOOST_TEST_REQUIRE(all_logged, "coordinator: " << nodes.coordinator_log());
  // Every refusal is counted. A peer with a key tries again and again, so it is refused (and
  // counted) more than once while logged once; one without CURVE may give up after its first
  // try, when its own libzmq is the one that sees the mechanisms differ.
  json during;
  const bool retried = wait_until([&] {
    during = nodes.status();
    return counter(during, "workers.refused.unknown_key") >= 2 &&
           counter(during, "clients.refused.unknown_key") >= 2 &&
           counter(during, "workers.refused.no_curve") >= 1 &&
           counter(during, "clients.refused.no_curve") >= 1;
  });
  const auto at_refusals = count_lines(out);
  BOOST_TEST_MESSAGE("strangers refused with " << at_refusals << " of " << items
                                               << " lines written; counters "
                                               << during.at("counters").dump());
  BOOST_TEST(retried, during.at("counters").dump());
  BOOST_TEST_REQUIRE(at_refusals < static_cast<std::size_t>(items),
                     "the batch ended before the strangers were refused");
  // While it runs: the authorized batch is the only one, the authorized workers the only ones.
  BOOST_TEST(during.at("batches").size() == 1u, during.dump());
  BOOST_TEST(worker_names(during).size() == 2u, during.dump());

  const auto end = submit.wait(std::chrono::seconds(120));
  BOOST_TEST(end.exit_code == 0, end.err);
  check_each_item_once_and_ok(out, items);

  const auto after = status_after_batch(nodes, items);
  for (const auto* name : {"workers.refused.unknown_key", "workers.refused.no_curve",
                           "clients.refused.unknown_key", "clients.refused.no_curve"}) {
    BOOST_TEST(counter(before, name) == 0u, name << ": " << before.at("counters").dump());
    BOOST_TEST(counter(after, name) >= counter(during, name), name);
  }
  // The strangers did nothing: no worker of theirs joined or was given a call, no batch of
  // theirs started, no line of theirs was written.
  BOOST_TEST(!lists(after, "stranger"), after.dump());
  BOOST_TEST(!lists(after, "plain"), after.dump());
  BOOST_TEST(calls_done(after) == static_cast<std::uint64_t>(items), after.dump());
  BOOST_TEST(after.at("batches").empty(), after.dump());
  const auto log = nodes.coordinator_log();
  BOOST_TEST(!nodes.logged("stranger", "joined"), log);
  BOOST_TEST(!nodes.logged("plain", "joined"), log);
  BOOST_TEST(lines_matching(log, std::regex(R"(parallm coordinator: batch \d+: )")) == 1u, log);
  for (const auto* name : {"stranger", "plain"}) {
    BOOST_TEST(nodes.worker_log(name).find("joined coordinator") == std::string::npos,
               nodes.worker_log(name));
  }
  BOOST_TEST(count_lines(files.dir / "intruder.jsonl") == 0u);
  BOOST_TEST(count_lines(files.dir / "plain.jsonl") == 0u);

  // Logged once each, however often it came back.
  BOOST_TEST(lines_with(log, worker_key_line) == 1u, log);
  BOOST_TEST(lines_with(log, client_key_line) == 1u, log);
  // A peer without CURVE is logged once, whether or not its address could still be read.
  for (const auto* side : {"worker", "client"}) {
    const auto addresses = plain_text_refusals(log, side);
    std::size_t lines = 0;
    for (const auto& [address, times] : addresses) lines += times;
    BOOST_TEST(lines == 1u, side << " without CURVE logged " << lines << " times:\n" << log);
  }

  // The refused clients still wait, as for a coordinator that does not answer, until stopped.
  for (auto* refused : {&intruder_submit, &plain_submit}) {
    refused->signal(SIGINT);
    const auto stopped = refused->wait(cluster_patience);
    BOOST_TEST(stopped.exit_code == 130, stopped.err);
    BOOST_TEST(lines_with(stopped.err, "the coordinator refused our key") <= 1u, stopped.err);
  }

  // No secret key is in any log.
  const std::vector<std::string> logs{log, end.err, nodes.worker_log("w1"), nodes.worker_log("w2"),
                                      nodes.worker_log("stranger")};
  const std::vector<const key_pair*> all_keys{&files.coordinator, &files.worker, &files.client,
                                              &stranger, &intruder};
  for (const auto* keys : all_keys) {
    for (const auto& text : logs) {
      BOOST_TEST(text.find(keys->secret_text) == std::string::npos,
                 "the secret of key " << keys->fingerprint << " is in a log");
    }
  }
}

BOOST_AUTO_TEST_CASE(a_key_copied_into_the_directory_is_admitted_without_a_restart) {
  constexpr int items = 2500;
  secured_files files;
  write_file(files.dir / "job.yaml", sim_job(50, 8));
  write_named_items(files.dir / "in.jsonl", items);
  cluster nodes(files.dir, files.options());
  nodes.start_coordinator();
  nodes.add_worker("w1", 8);
  const auto out = files.dir / "out.jsonl";
  child_process submit(nodes.submit_args(files.batch("out.jsonl")), files.dir.path());
  BOOST_TEST_REQUIRE(wait_for_lines(out, 50) >= 50u,
                     "no lines came; coordinator: " << nodes.coordinator_log());

  const auto late = keygen(files.dir, "late");
  nodes.start_worker("late", 8, files.peer_flags(late));
  const auto refused_line = refused_key_line("worker", late);
  BOOST_TEST_REQUIRE(
      wait_until([&] { return lines_with(nodes.coordinator_log(), refused_line) > 0; }),
      "late was not refused; coordinator: " << nodes.coordinator_log()
                                            << "\nlate: " << nodes.worker_log("late"));
  BOOST_TEST(!nodes.joined("late"));

  // What an operator does on the coordinator's host: copy the worker's public key file in.
  secured_files::authorize(files.workers_dir, late, "late.public");
  const auto at_copy = count_lines(out);
  const auto copied = std::chrono::steady_clock::now();
  BOOST_TEST_REQUIRE(nodes.wait_joined("late"),
                     "late did not join; coordinator: " << nodes.coordinator_log()
                                                        << "\nlate: " << nodes.worker_log("late"));
  const auto at_join = count_lines(out);
  BOOST_TEST_MESSAGE("late's key copied in with "
                     << at_copy << " of " << items << " lines written; it joined "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - copied)
                            .count()
                     << " ms later with " << at_join << " written");
  BOOST_TEST_REQUIRE(at_join < static_cast<std::size_t>(items) - 200,
                     "the batch was nearly done before late joined");

  const auto end = submit.wait(std::chrono::seconds(120));
  BOOST_TEST(end.exit_code == 0, end.err);
  check_each_item_once_and_ok(out, items);
  const auto status = status_after_batch(nodes, items);
  std::map<std::string, json> workers;
  for (const auto& w : status.at("workers")) workers[w.at("name").get<std::string>()] = w;
  BOOST_TEST_REQUIRE(workers.count("late") == 1u, status.dump());
  BOOST_TEST(workers["late"].at("done").get<int>() > 0, workers["late"].dump());
  BOOST_TEST(nodes.worker_log("late").find("parallm worker late: joined coordinator at ") !=
                 std::string::npos,
             nodes.worker_log("late"));
  // The same coordinator all along, and it logged its refusal of late once.
  const auto log = nodes.coordinator_log();
  BOOST_TEST(lines_with(log, "parallm coordinator: workers on ") == 1u, log);
  BOOST_TEST(lines_with(log, refused_line) == 1u, log);
}

namespace {
std::optional<fs::path> tcpdump_path() {
  std::vector<fs::path> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::string rest = path;
    for (auto colon = rest.find(':'); !rest.empty(); colon = rest.find(':')) {
      dirs.emplace_back(rest.substr(0, colon));
      rest = colon == std::string::npos ? std::string() : rest.substr(colon + 1);
    }
  }
  dirs.insert(dirs.end(), {"/usr/sbin", "/usr/bin", "/sbin", "/bin"});
  for (const auto& dir : dirs) {
    const auto candidate = dir / "tcpdump";
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

// Capturing needs root and tcpdump (scripts/setup.sh installs it); elsewhere the test is
// skipped, saying why.
boost::test_tools::assertion_result tcpdump_can_capture(boost::unit_test::test_unit_id) {
  std::string reason;
  if (::geteuid() != 0) {
    reason = "capturing loopback traffic needs root";
  } else if (!tcpdump_path()) {
    reason = "tcpdump is not installed (scripts/setup.sh installs it)";
  }
  boost::test_tools::assertion_result result(reason.empty());
  if (!reason.empty()) {
    std::cout << "e2e_cluster_security: capture test skipped: " << reason << std::endl;
    result.message() << reason;
  }
  return result;
}

// Text in every prompt and in the job, and nowhere else a capture could find it by chance.
const std::string canary = "zebra-canary-q7x2v";

std::uint16_t port_of(const std::string& endpoint) {
  return static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
}

struct capture {
  std::string bytes;
  long packets = -1;
  std::string coordinator_log;
};

// A batch of `items` prompts holding the canary, run by a coordinator with one worker (with
// CURVE or without), while tcpdump captures both of its ports on loopback from before the
// worker and the client connect until after the client is done.
capture capture_a_batch(bool curve) {
  constexpr int items = 200;
  secured_files files;
  write_file(files.dir / "job.yaml",
             "version: 1\nprovider: { kind: sim, latency_ms: 5, seed: 1 }\n"
             "limits: { concurrency: 8, max_retries: 0 }\nnodes:\n  say: { prompt: \"" +
                 canary + " says {{n}}\" }\n");
  write_named_items(files.dir / "in.jsonl", items);
  cluster nodes(files.dir, curve ? files.options() : cluster_options{});
  nodes.start_coordinator();
  const auto filter = "tcp port " + std::to_string(port_of(nodes.endpoints().workers)) +
                      " or tcp port " + std::to_string(port_of(nodes.endpoints().clients));
  const auto pcap = files.dir / "capture.pcap";
  // --immediate-mode: each packet as it comes; else libpcap hands them over a ring block at a
  // time, and a batch quicker than a block's timeout would be stopped before tcpdump saw any.
  child_process tcpdump(
      {tcpdump_path()->string(), "-i", "lo", "--immediate-mode", "-U", "-w", pcap.string(), filter},
      files.dir.path());
  BOOST_TEST_REQUIRE(
      wait_until([&] { return tcpdump.err_so_far().find("listening on") != std::string::npos; }),
      "tcpdump did not start: " << tcpdump.err_so_far());

  nodes.add_worker("w1", 8);
  const auto end = nodes.submit(files.batch("out.jsonl"));
  BOOST_TEST(end.exit_code == 0, end.err << "\ncoordinator: " << nodes.coordinator_log());
  check_each_item_once_and_ok(files.dir / "out.jsonl", items);

  // The capture file grows until tcpdump has written the last packet; then SIGINT, on which it
  // writes what it still holds and says how many packets it captured.
  std::uintmax_t written = 0;
  auto still_since = std::chrono::steady_clock::now();
  wait_until([&] {
    std::error_code error;
    const auto size = fs::file_size(pcap, error);
    const auto now = std::chrono::steady_clock::now();
    if (error || size != written) {
      written = error ? 0 : size;
      still_since = now;
      return false;
    }
    return now - still_since >= std::chrono::milliseconds(500);
  });
  tcpdump.signal(SIGINT);
  const auto stopped = tcpdump.wait(cluster_patience);
  BOOST_TEST(stopped.exit_code == 0, stopped.err);
  capture c;
  std::smatch count;
  static const std::regex captured(R"((\d+) packets? captured)");
  if (std::regex_search(stopped.err, count, captured)) c.packets = std::stol(count[1].str());
  c.bytes = read_file(pcap);
  c.coordinator_log = nodes.coordinator_log();
  return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_loopback_capture_shows_prompts_in_clear_only_without_curve,
                     *boost::unit_test::precondition(tcpdump_can_capture)) {
  const auto plain = capture_a_batch(false);
  BOOST_TEST_MESSAGE("without CURVE: " << plain.packets << " packets, " << plain.bytes.size()
                                       << " bytes captured");
  BOOST_TEST_REQUIRE(plain.packets > 20, "tcpdump saw too little: " << plain.packets);
  BOOST_TEST(plain.bytes.find(canary) != std::string::npos,
             "the prompts were not found in a capture of plain-text traffic");
  BOOST_TEST(plain.coordinator_log.find(plain_text_warning) != std::string::npos,
             plain.coordinator_log);

  const auto secured = capture_a_batch(true);
  BOOST_TEST_MESSAGE("with CURVE: " << secured.packets << " packets, " << secured.bytes.size()
                                    << " bytes captured");
  BOOST_TEST_REQUIRE(secured.packets > 20, "tcpdump saw too little: " << secured.packets);
  BOOST_TEST(secured.bytes.find(canary) == std::string::npos,
             "a prompt is in clear in the capture of CURVE traffic");
  BOOST_TEST(secured.coordinator_log.find(plain_text_warning) == std::string::npos,
             secured.coordinator_log);
}
