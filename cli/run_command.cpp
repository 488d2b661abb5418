#include "cli/run_command.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/coordinator.hpp"
#include "actors/coordinator_setup.hpp"
#include "actors/endpoint_setup.hpp"
#include "actors/input_reader.hpp"
#include "actors/messages.hpp"
#include "actors/reducer.hpp"
#include "actors/run_watch.hpp"
#include "actors/worker.hpp"
#include "batch/line_reader.hpp"
#include "batch/output_writer.hpp"
#include "batch/resume_scan.hpp"
#include "batch/retry_failed.hpp"
#include "cli/exit_codes.hpp"
#include "cli/job_setup.hpp"
#include "cli/run_files.hpp"
#include "cli/signal_watch.hpp"
#include "config/url_credentials.hpp"
#include "flow/call_profile.hpp"
#include "providers/endpoint.hpp"

namespace parallm::cli {
namespace {

// A hosted endpoint called without a key fails every call with 401; say so before the run.
// Loopback servers (vLLM, llama.cpp, Ollama) usually take no key. Only the variable's name is
// printed, never a value.
void warn_about_missing_keys(const flow::graph& graph) {
  std::vector<std::string> warned;
  for (const auto& provider : graph.providers()) {
    if (provider.kind == config::provider_kind::sim || provider.api_key_env.empty()) continue;
    if (providers::is_loopback_url(provider.base_url)) continue;
    const char* value = std::getenv(provider.api_key_env.c_str());
    if (value != nullptr && *value != '\0') continue;
    if (std::find(warned.begin(), warned.end(), provider.api_key_env) != warned.end()) continue;
    warned.push_back(provider.api_key_env);
    std::fprintf(stderr, "parallm: warning: %s is not set; calls to %s go without an API key\n",
                 provider.api_key_env.c_str(), config::without_password(provider.base_url).c_str());
  }
}

std::size_t scheduler_threads() {
  const auto cores = std::thread::hardware_concurrency();
  return cores > 1 ? cores - 1 : 1;
}

// One HTTP engine per process, shared by the workers; none for a sim-only job.
std::shared_ptr<providers::http_engine> http_engine_for(const flow::graph& graph, int workers) {
  const auto& providers = graph.providers();
  const bool needs_http = std::any_of(providers.begin(), providers.end(), [](const auto& p) {
    return p.kind != config::provider_kind::sim;
  });
  if (!needs_http) return nullptr;
  providers::http_engine_options options;
  // Every in-flight call may need a connection of its own; keep-alive reuses them.
  options.max_connections_per_host = graph.job().limits.concurrency * workers;
  options.max_total_connections = options.max_connections_per_host * 4;
  options.max_response_bytes = graph.job().limits.max_response_bytes;
  return std::make_shared<providers::http_engine>(options);
}

// Blocks until the run's end arrives. The first report is the outcome; a second (the run
// watch's, when the reducer died after reporting) stays unread.
actors::run_report wait_for_end(caf::scoped_actor& waiter) {
  std::optional<actors::run_report> report;
  waiter->receive([&](actors::run_end_atom, actors::run_report& end) { report = std::move(end); });
  return std::move(*report);
}

}  // namespace

int run_command(const run_args& args) {
  const auto job = load_run_job(args);
  if (!job) return exit_bad_input;
  const auto& graph = job->graph;
  warn_about_missing_keys(*graph);
  auto files = open_run_files(args);
  if (!files) return exit_bad_input;
  auto& input = files->input;
  auto& writer = files->writer;

  const bool progress = args.progress.value_or(::isatty(STDERR_FILENO) != 0);
  const auto& limits = graph->job().limits;

  signal_watch signals;
  // Created before the actor system; the workers share it. Once the report is in, no call
  // is in flight, so its thread has nothing left to deliver when it stops.
  auto http = http_engine_for(*graph, args.workers);
  caf::actor_system_config cfg;
  // The input reader (and later the HTTP engine) run on threads of their own, so the
  // scheduler leaves them a core; on 2 cores one scheduler thread with a shared queue
  // measured ~20% faster than two work-stealing threads that keep preempting the reader.
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", scheduler_threads());
  caf::actor_system system{cfg};
  // Where the run's end arrives: the reducer's report, or the run watch's if the reducer died.
  caf::scoped_actor waiter{system};
  const auto done = caf::actor_cast<actors::run_end_actor>(waiter);
  actors::reducer_options reducer_opts;
  reducer_opts.graph = graph;
  reducer_opts.sink = writer;
  reducer_opts.progress = progress;
  reducer_opts.openai_batch_output = args.openai_batch_output;
  reducer_opts.batch_nonce = actors::random_u64();
  reducer_opts.done = done;
  if (progress && args.input != "-") {
    reducer_opts.progress_total = batch::line_reader::count_lines(args.input).value_or(0);
  }
  auto reducer = actors::spawn_reducer(system, reducer_opts);
  auto reader = actors::spawn_input_reader(system, {input, graph, files->already_done});
  auto coordinator_opts =
      actors::coordinator_options_for(limits, static_cast<std::uint64_t>(limits.concurrency) *
                                                  static_cast<std::uint64_t>(args.workers));
  actors::add_endpoints(*graph, coordinator_opts);
  auto profiles = flow::build_profiles(*graph);
  coordinator_opts.node_profile = std::move(profiles.of_node);
  const actors::batch_profiles batch_profiles{
      coordinator_opts.batch,
      std::make_shared<const std::vector<flow::call_profile>>(std::move(profiles.profiles))};
  auto coordinator = actors::spawn_coordinator(system, coordinator_opts, reader, reducer);
  std::vector<actors::worker_actor> workers;
  for (int i = 0; i < args.workers; ++i) {
    workers.push_back(actors::spawn_worker(system, coordinator, http));
    // In the worker's mailbox before the join that lets the coordinator send it tasks.
    caf::anon_send(workers.back(), actors::profiles_atom::value, batch_profiles);
    caf::anon_send(coordinator, actors::join_atom::value, workers.back(),
                   static_cast<std::uint32_t>(limits.concurrency));
  }

  std::vector<actors::watched_actor> watched{
      {caf::actor_cast<caf::actor>(reducer), "the reducer"},
      {caf::actor_cast<caf::actor>(coordinator), "the coordinator"},
      {caf::actor_cast<caf::actor>(reader), "the input reader"}};
  for (std::size_t i = 0; i < workers.size(); ++i) {
    watched.push_back({caf::actor_cast<caf::actor>(workers[i]), "worker " + std::to_string(i + 1)});
  }
  auto watch = actors::spawn_run_watch(system, std::move(watched), reducer, done);

  signals.on_first([coordinator] { caf::anon_send(coordinator, actors::stop_atom::value); });
  // The second signal exits at once, but first saves the lines that are finished.
  signals.on_abort([writer] { writer->flush_within(std::chrono::seconds(1)); });
  const auto report = wait_for_end(waiter);
  // The reducer flushed, unless it died: what it had written is complete lines.
  writer->flush();
  const int status = report_outcome(args, report, signals.interrupted());
  caf::anon_send_exit(watch, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(coordinator, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(reader, caf::exit_reason::user_shutdown);
  for (auto& w : workers) caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
  if ((status != exit_ok && status != exit_some_failed) || !report.stopped.empty()) {
    // A stopped or failed run may leave calls in flight, a dead actor's peers waiting, or the
    // reader blocked on an input that never ends (a pipe); everything finished is written
    // and flushed, so leave without waiting for them.
    std::fflush(nullptr);
    std::_Exit(status);
  }
  return status;
}

}  // namespace parallm::cli
