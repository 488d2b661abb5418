#pragma once
// Real `parallm coordinator`, `worker`, `submit` and `status` processes on 127.0.0.1 for the
// cluster suites: a coordinator whose endpoints are read back from its first log line, workers
// known to have joined before a test goes on, kill -9 of any of them, and a coordinator
// restarted on the endpoints the first one chose. Whatever still runs when the cluster goes is
// killed, so a failed check leaves no process behind.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "e2e.hpp"

namespace parallm::test {

// Every wait in the cluster suites is bounded by this: far more than a loaded 2-core machine
// needs, so that running out of it means something is stuck.
inline constexpr std::chrono::milliseconds cluster_patience{30000};

// Polls `done` every 20 ms until it holds or `limit` passes; what it said last.
bool wait_until(const std::function<bool()>& done,
                std::chrono::milliseconds limit = cluster_patience);

// A job on the sim provider, one call per item ("say {{n}}"), for tests whose timing needs
// many items in flight for a while: `latency_ms` per call, `concurrency` calls per worker.
std::string sim_job(int latency_ms, int concurrency);

struct cluster_endpoints {
  std::string workers;
  std::string clients;
};

struct cluster_options {
  // A killed worker or coordinator is noticed within 3 s. Not much less: a worker that a
  // loaded machine holds off the CPU for longer than its liveness is taken for dead, rejoins
  // as a new worker and loses its counts in status, which several suites check. A test about
  // noticing a loss quickly sets liveness 5 (750 ms) itself.
  int heartbeat_ms = 150;
  int liveness = 20;
  // More flags for every coordinator started (e.g. its --max-* limits, its CURVE keys), and
  // for every worker and client (submit, status), e.g. their CURVE keys.
  std::vector<std::string> coordinator_flags;
  std::vector<std::string> worker_flags;
  std::vector<std::string> client_flags;
};

class cluster {
 public:
  // Processes run with `dir` as their working directory; their stdout and stderr go there.
  explicit cluster(const temp_dir& dir, cluster_options options = {});
  ~cluster();
  cluster(const cluster&) = delete;
  cluster& operator=(const cluster&) = delete;

  // The first time on free ports, afterwards on the endpoints the first one bound (a restart).
  // Returns once the coordinator printed its endpoints; throws when it does not in time.
  void start_coordinator();
  // SIGKILL, and waits for it to be gone; its log stays readable through coordinator_log().
  void kill_coordinator();
  // SIGTERM and the coordinator's exit status (it exits 0 on a signal).
  process_result stop_coordinator();
  const cluster_endpoints& endpoints() const { return endpoints_; }
  // The running coordinator's process id (for /proc), -1 when none runs.
  pid_t coordinator_pid() const { return coordinator_ ? coordinator_->pid() : -1; }
  // What the running (or last) coordinator has logged so far.
  std::string coordinator_log() const;

  // Starts `parallm worker --name NAME -c CAPACITY` and waits until the coordinator logs that
  // NAME joined; throws (with both logs) when it does not in time.
  void add_worker(const std::string& name, int capacity = 8);
  // Starts a worker without waiting for it; `args`, when given, replace the options'
  // worker_flags (a worker with other keys, or none).
  void start_worker(const std::string& name, int capacity = 8,
                    std::optional<std::vector<std::string>> args = std::nullopt);
  // True once the running coordinator has logged "worker NAME (HOST) WHAT", e.g. with WHAT
  // "joined" or "is gone".
  bool logged(const std::string& name, const std::string& what) const;
  bool joined(const std::string& name) const { return logged(name, "joined"); }
  bool wait_joined(const std::string& name,
                   std::chrono::milliseconds limit = cluster_patience) const;
  void kill_worker(const std::string& name);
  // Any other signal, e.g. SIGSTOP and SIGCONT for a worker that hangs and wakes.
  void signal_worker(const std::string& name, int sig);
  std::string worker_log(const std::string& name) const;

  // argv of `parallm submit ARGS... --coordinator CLIENTS --no-progress CLIENT_ARGS...`.
  std::vector<std::string> submit_args(std::vector<std::string> args) const;
  // `parallm submit ARGS...` to the end (bounded by `limit`).
  process_result submit(std::vector<std::string> args,
                        std::chrono::milliseconds limit = std::chrono::seconds(90)) const;
  // `parallm status --json CLIENT_ARGS...`, parsed; throws when it fails.
  nlohmann::json status() const;

 private:
  const temp_dir& dir_;
  cluster_options options_;
  cluster_endpoints endpoints_;
  std::unique_ptr<child_process> coordinator_;
  std::string last_coordinator_log_;
  std::map<std::string, std::unique_ptr<child_process>> workers_;
};

}  // namespace parallm::test
