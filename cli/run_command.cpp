#include "cli/run_command.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/coordinator.hpp"
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
#include "cli/signal_watch.hpp"
#include "flow/call_profile.hpp"
#include "providers/endpoint.hpp"

namespace parallm::cli {
namespace {

std::uint64_t window_for(const config::limits_spec& limits, int workers) {
  if (limits.window > 0) return static_cast<std::uint64_t>(limits.window);
  // Enough admitted items to keep every worker's slots busy while others are reduced,
  // and enough to batch reads; memory stays bounded by this, not by the batch size.
  const auto slots = static_cast<std::uint64_t>(limits.concurrency) * workers;
  return std::max<std::uint64_t>(4096, 4 * slots);
}

actors::coordinator_options coordinator_options_for(const config::limits_spec& limits,
                                                    int workers) {
  actors::coordinator_options opts;
  opts.window = window_for(limits, workers);
  opts.read_batch = std::min<std::uint64_t>(512, opts.window);
  opts.retry.max_retries = limits.max_retries;
  opts.retry.initial =
      std::chrono::milliseconds(static_cast<std::int64_t>(limits.backoff_initial_s * 1000));
  opts.retry.max =
      std::chrono::milliseconds(static_cast<std::int64_t>(limits.backoff_max_s * 1000));
  opts.seed = static_cast<std::uint64_t>(::getpid());
  // A new epoch per start: no answer meant for an earlier coordinator is taken for this one's.
  opts.epoch = (std::uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  opts.abort_after_failures = limits.abort_after_failures;
  return opts;
}

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
                 provider.api_key_env.c_str(), provider.base_url.c_str());
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

// --stats: the closing summary as one JSON object, for scripts and benchmarks.
void write_stats(const std::string& path, const actors::run_report& report) {
  const auto& s = report.stats;
  const auto ms = [](std::chrono::microseconds us) { return us.count() / 1000.0; };
  const nlohmann::json stats{
      {"ok", s.ok()},
      {"partial", s.partial()},
      {"failed", s.failed()},
      {"skipped", s.skipped()},
      {"prompt_tokens", s.prompt_tokens()},
      {"completion_tokens", s.completion_tokens()},
      {"calls", s.calls()},
      {"attempts", s.attempts()},
      {"rate_limited", s.rate_limited()},
      {"wall_s", report.wall_s()},
      {"latency_p50_ms", ms(s.latencies().percentile(0.5))},
      {"latency_p95_ms", ms(s.latencies().percentile(0.95))},
      {"error", report.error.empty() ? nullptr : nlohmann::json(report.error)},
      {"stopped", report.stopped.empty() ? nullptr : nlohmann::json(report.stopped)}};
  std::ofstream out(path, std::ios::trunc);
  out << stats.dump() << '\n';
  if (!out) std::fprintf(stderr, "parallm: cannot write --stats %s\n", path.c_str());
}

// --resume reads back what OUT already holds and --retry-failed rewrites it: stdout can do
// neither, and skipping them quietly would run the whole batch again.
std::optional<std::string> output_problem(const run_args& args) {
  if (args.output != "-" || !(args.resume || args.retry_failed)) return std::nullopt;
  return std::string(args.retry_failed ? "--retry-failed" : "--resume") +
         " needs an output file, not '-'";
}

int exit_status(const actors::run_report& report, bool interrupted) {
  if (!report.error.empty()) return exit_internal;
  if (interrupted) return exit_interrupted;
  if (!report.stopped.empty()) return exit_some_failed;
  return report.stats.failed() + report.stats.partial() > 0 ? exit_some_failed : exit_ok;
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
  if (auto problem = output_problem(args)) {
    std::fprintf(stderr, "parallm: %s\n", problem->c_str());
    return exit_bad_input;
  }
  if (auto problem = check_input_readable(args.input)) {
    std::fprintf(stderr, "parallm: %s\n", problem->c_str());
    return exit_bad_input;
  }
  if (args.job_path.empty()) {
    if (auto problem = check_batch_input(args.input)) {
      std::fprintf(stderr, "parallm: %s\n", problem->c_str());
      return exit_bad_input;
    }
  }
  const bool openai_batch = args.job_path.empty() || input_is_openai_batch(args.input);
  auto graph =
      load_graph(args.job_path, overrides_for(args.shorthands, args.overrides), openai_batch);
  if (!graph) return exit_bad_input;
  warn_about_missing_keys(*graph);

  // The input is opened before the output, and an output that is the input is refused
  // before --resume or --retry-failed touch it (the writer checks again as it opens it).
  auto input = std::make_shared<batch::line_reader>(args.input);
  if (!input->error().empty()) {
    std::fprintf(stderr, "parallm: cannot read input %s\n", input->error().c_str());
    return exit_bad_input;
  }
  if (auto clash = batch::output_is_input(args.output, input->identity()); !clash.empty()) {
    std::fprintf(stderr, "parallm: %s\n", clash.c_str());
    return exit_bad_input;
  }
  std::shared_ptr<const batch::resume_state> already_done;
  if (args.resume) {
    const auto id_key = args.openai_batch_output ? "custom_id" : "id";
    if (args.retry_failed) {
      const auto rewrite = batch::drop_failed_results(args.output, id_key);
      if (!rewrite.error.empty()) {
        std::fprintf(stderr, "parallm: --retry-failed: %s\n", rewrite.error.c_str());
        return exit_bad_input;
      }
      if (rewrite.dropped > 0) {
        std::fprintf(stderr,
                     "parallm: --retry-failed: running %llu failed or partial items again\n",
                     static_cast<unsigned long long>(rewrite.dropped));
      }
    }
    auto scan = std::make_shared<batch::resume_state>(batch::resume_scan(args.output, id_key));
    if (!scan->error.empty()) {
      std::fprintf(stderr, "parallm: --resume: %s\n", scan->error.c_str());
      return exit_bad_input;
    }
    if (scan->bytes_truncated > 0) {
      std::fprintf(stderr, "parallm: --resume: cut a torn last line (%llu bytes) from %s\n",
                   static_cast<unsigned long long>(scan->bytes_truncated), args.output.c_str());
    }
    already_done = std::move(scan);
  }
  // Opened after --retry-failed replaced the file, so that it writes to the new one.
  auto writer = std::make_shared<batch::output_writer>(args.output, args.resume, args.ordered,
                                                       input->identity());
  if (!writer->error().empty()) {
    std::fprintf(stderr, "parallm: %s\n", writer->error().c_str());
    return exit_bad_input;
  }

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
  reducer_opts.batch_nonce = (std::uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  reducer_opts.done = done;
  if (progress && args.input != "-") {
    reducer_opts.progress_total = batch::line_reader::count_lines(args.input).value_or(0);
  }
  auto reducer = actors::spawn_reducer(system, reducer_opts);
  auto reader = actors::spawn_input_reader(system, {input, graph, already_done});
  auto coordinator_opts = coordinator_options_for(limits, args.workers);
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
  if (!report.stats_lost) std::fputs(report.summary().c_str(), stderr);
  if (args.stats_path) write_stats(*args.stats_path, report);
  if (!report.error.empty()) std::fprintf(stderr, "parallm: %s\n", report.error.c_str());
  if (!report.stopped.empty()) {
    std::fprintf(stderr, "parallm: %s; the items not written are left for --resume\n",
                 report.stopped.c_str());
  }
  const int status = exit_status(report, signals.interrupted());
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
