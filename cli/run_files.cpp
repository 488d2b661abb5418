#include "cli/run_files.hpp"

#include <cstdio>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "batch/retry_failed.hpp"
#include "cli/exit_codes.hpp"
#include "cli/job_setup.hpp"

namespace parallm::cli {
namespace {

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

}  // namespace

std::optional<run_job> load_run_job(const run_args& args) {
  if (auto problem = output_problem(args)) {
    std::fprintf(stderr, "parallm: %s\n", problem->c_str());
    return std::nullopt;
  }
  if (auto problem = check_input_readable(args.input)) {
    std::fprintf(stderr, "parallm: %s\n", problem->c_str());
    return std::nullopt;
  }
  if (args.job_path.empty()) {
    if (auto problem = check_batch_input(args.input)) {
      std::fprintf(stderr, "parallm: %s\n", problem->c_str());
      return std::nullopt;
    }
  }
  const bool openai_batch = args.job_path.empty() || input_is_openai_batch(args.input);
  auto graph =
      load_graph(args.job_path, overrides_for(args.shorthands, args.overrides), openai_batch);
  if (!graph) return std::nullopt;
  return run_job{std::move(graph), openai_batch};
}

std::optional<run_files> open_run_files(const run_args& args) {
  // The input is opened before the output, and an output that is the input is refused
  // before --resume or --retry-failed touch it (the writer checks again as it opens it).
  auto input = std::make_shared<batch::line_reader>(args.input);
  if (!input->error().empty()) {
    std::fprintf(stderr, "parallm: cannot read input %s\n", input->error().c_str());
    return std::nullopt;
  }
  if (auto clash = batch::output_is_input(args.output, input->identity()); !clash.empty()) {
    std::fprintf(stderr, "parallm: %s\n", clash.c_str());
    return std::nullopt;
  }
  std::shared_ptr<const batch::resume_state> already_done;
  if (args.resume) {
    const auto id_key = args.openai_batch_output ? "custom_id" : "id";
    if (args.retry_failed) {
      const auto rewrite = batch::drop_failed_results(args.output, id_key);
      if (!rewrite.error.empty()) {
        std::fprintf(stderr, "parallm: --retry-failed: %s\n", rewrite.error.c_str());
        return std::nullopt;
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
      return std::nullopt;
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
    return std::nullopt;
  }

  return run_files{std::move(input), std::move(already_done), std::move(writer)};
}

int report_outcome(const run_args& args, const actors::run_report& report, bool interrupted) {
  if (!report.stats_lost) std::fputs(report.summary().c_str(), stderr);
  if (args.stats_path) write_stats(*args.stats_path, report);
  if (!report.error.empty()) std::fprintf(stderr, "parallm: %s\n", report.error.c_str());
  if (!report.stopped.empty()) {
    std::fprintf(stderr, "parallm: %s; the items not written are left for --resume\n",
                 report.stopped.c_str());
  }
  return exit_status(report, interrupted);
}

}  // namespace parallm::cli
