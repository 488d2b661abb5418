#include "cluster.hpp"

#include <csignal>
#include <regex>
#include <stdexcept>
#include <thread>

namespace parallm::test {

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string sim_job(int latency_ms, int concurrency) {
  return "version: 1\nprovider: { kind: sim, latency_ms: " + std::to_string(latency_ms) +
         ", seed: 1 }\nlimits: { concurrency: " + std::to_string(concurrency) +
         ", max_retries: 0 }\nnodes:\n  say: { prompt: \"say {{n}}\" }\n";
}

cluster::cluster(const temp_dir& dir, cluster_options options) : dir_(dir), options_(options) {}

cluster::~cluster() {
  // Workers first: a coordinator that goes first would have them say hello into the void.
  workers_.clear();
  coordinator_.reset();
}

void cluster::start_coordinator() {
  const bool first = endpoints_.workers.empty();
  const auto workers = first ? std::string("tcp://127.0.0.1:*") : endpoints_.workers;
  const auto clients = first ? std::string("tcp://127.0.0.1:*") : endpoints_.clients;
  std::vector<std::string> args{"coordinator",
                                "--workers-bind",
                                workers,
                                "--clients-bind",
                                clients,
                                "--heartbeat-ms",
                                std::to_string(options_.heartbeat_ms),
                                "--liveness",
                                std::to_string(options_.liveness)};
  args.insert(args.end(), options_.coordinator_flags.begin(), options_.coordinator_flags.end());
  coordinator_ = std::make_unique<child_process>(parallm_args(args), dir_.path());
  // "parallm coordinator: workers on EP, clients on EP (epoch HEX)"
  static const std::regex line(
      R"(parallm coordinator: workers on (\S+), clients on (\S+) \(epoch [0-9a-f]+\))");
  std::smatch match;
  std::string log;
  const bool up = wait_until([&] {
    log = coordinator_->err_so_far();
    return std::regex_search(log, match, line);
  });
  if (!up) throw std::runtime_error("the coordinator did not print its endpoints: " + log);
  if (first) {
    endpoints_ = {match[1].str(), match[2].str()};
  } else if (match[1].str() != endpoints_.workers || match[2].str() != endpoints_.clients) {
    throw std::runtime_error("the restarted coordinator bound other endpoints: " + log);
  }
}

void cluster::kill_coordinator() {
  if (!coordinator_) return;
  coordinator_->signal(SIGKILL);
  last_coordinator_log_ = coordinator_->wait(cluster_patience).err;
  coordinator_.reset();
}

process_result cluster::stop_coordinator() {
  if (!coordinator_) throw std::logic_error("no coordinator to stop");
  coordinator_->signal(SIGTERM);
  auto result = coordinator_->wait(cluster_patience);
  last_coordinator_log_ = result.err;
  coordinator_.reset();
  return result;
}

std::string cluster::coordinator_log() const {
  return coordinator_ ? coordinator_->err_so_far() : last_coordinator_log_;
}

void cluster::start_worker(const std::string& name, int capacity,
                           std::optional<std::vector<std::string>> args) {
  if (endpoints_.workers.empty()) throw std::logic_error("start the coordinator first");
  std::vector<std::string> argv{"worker",
                                "--connect",
                                endpoints_.workers,
                                "--name",
                                name,
                                "--concurrency",
                                std::to_string(capacity),
                                "--heartbeat-ms",
                                std::to_string(options_.heartbeat_ms)};
  const auto& extra = args ? *args : options_.worker_flags;
  argv.insert(argv.end(), extra.begin(), extra.end());
  workers_[name] = std::make_unique<child_process>(parallm_args(argv), dir_.path());
}

void cluster::add_worker(const std::string& name, int capacity) {
  start_worker(name, capacity);
  if (!wait_joined(name)) {
    throw std::runtime_error("worker " + name + " did not join; coordinator: " + coordinator_log() +
                             "\nworker: " + worker_log(name));
  }
}

bool cluster::logged(const std::string& name, const std::string& what) const {
  // "parallm coordinator: worker NAME (HOST) joined with capacity N", "... is gone; ..."
  const auto log = coordinator_log();
  const auto needle = "worker " + name + " (";
  for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) {
    const auto end = log.find('\n', at);
    const auto line = log.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (line.find(") " + what) != std::string::npos) return true;
  }
  return false;
}

bool cluster::wait_joined(const std::string& name, std::chrono::milliseconds limit) const {
  return wait_until([&] { return joined(name); }, limit);
}

void cluster::kill_worker(const std::string& name) {
  const auto it = workers_.find(name);
  if (it == workers_.end()) throw std::logic_error("no worker " + name);
  it->second->signal(SIGKILL);
  it->second->wait(cluster_patience);
}

void cluster::signal_worker(const std::string& name, int sig) {
  const auto it = workers_.find(name);
  if (it == workers_.end()) throw std::logic_error("no worker " + name);
  it->second->signal(sig);
}

std::string cluster::worker_log(const std::string& name) const {
  const auto it = workers_.find(name);
  return it == workers_.end() ? std::string() : it->second->err_so_far();
}

std::vector<std::string> cluster::submit_args(std::vector<std::string> args) const {
  args.insert(args.begin(), "submit");
  args.insert(args.end(), {"--coordinator", endpoints_.clients, "--no-progress"});
  args.insert(args.end(), options_.client_flags.begin(), options_.client_flags.end());
  return parallm_args(args);
}

process_result cluster::submit(std::vector<std::string> args,
                               std::chrono::milliseconds limit) const {
  return run_process(submit_args(std::move(args)), dir_.path(), std::nullopt, limit);
}

nlohmann::json cluster::status() const {
  std::vector<std::string> args{"status", "--coordinator", endpoints_.clients, "--json"};
  args.insert(args.end(), options_.client_flags.begin(), options_.client_flags.end());
  const auto result = run_process(parallm_args(args), dir_.path(), std::nullopt, cluster_patience);
  if (result.exit_code != 0) {
    throw std::runtime_error("parallm status exited " + std::to_string(result.exit_code) + ": " +
                             result.err);
  }
  return nlohmann::json::parse(result.out);
}

}  // namespace parallm::test
