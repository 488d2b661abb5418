// The `parallm` executable: parses the command line and hands off to one command.

#include <CLI/CLI.hpp>

#include "cli/exit_codes.hpp"
#include "cli/run_command.hpp"
#include "cli/validate_command.hpp"

namespace {

void add_run(CLI::App& app, parallm::cli::run_args& args, bool& progress, bool& no_progress,
             std::string& format) {
  app.add_option("job", args.job_path,
                 "Job file (YAML); may be left out when the input is an OpenAI Batch API file");
  app.add_option("-i,--input", args.input, "Input JSONL, '-' for stdin")->required();
  app.add_option("-o,--output", args.output, "Output JSONL, '-' for stdout")->required();
  app.add_option("-w,--workers", args.workers, "Worker actors")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("-c,--concurrency", args.concurrency,
                 "In-flight calls per worker (overrides limits.concurrency)")
      ->check(CLI::Range(1, 100000));
  app.add_flag("--ordered", args.ordered, "Write output lines in input order");
  auto* resume = app.add_flag("--resume", args.resume,
                              "Skip items already in the output file and append the rest");
  app.add_flag("--retry-failed", args.retry_failed,
               "With --resume: take the failed and partial items out of the output file and "
               "run them again")
      ->needs(resume);
  app.add_flag("--progress", progress,
               "Live progress line on stderr (default on a terminal); it names a rate limit that "
               "holds calls back");
  app.add_flag("--no-progress", no_progress, "No progress line");
  app.add_option("--set", args.overrides, "Override a job setting: KEY=VALUE (repeatable)");
  app.add_option("--provider", args.provider,
                 "Provider kind (openai | anthropic | sim): short for --set provider.kind=...");
  app.add_option("--base-url", args.base_url, "Short for --set provider.base_url=...");
  app.add_option("--api-key-env", args.api_key_env,
                 "Environment variable holding the API key: short for --set "
                 "provider.api_key_env=...");
  app.add_option("--format", format, "Output format: jsonl (default) or openai-batch")
      ->check(CLI::IsMember({"jsonl", "openai-batch"}));
  app.add_option("--stats", args.stats_path,
                 "Also write the closing summary as one JSON object to this file");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"parallm: parallel, distributed batch processing of LLM calls"};
  app.set_version_flag("--version", "parallm " PARALLM_VERSION);
  app.require_subcommand(1);

  parallm::cli::run_args run;
  bool progress = false;
  bool no_progress = false;
  auto* run_cmd = app.add_subcommand("run", "Run a batch in this process");
  std::string format = "jsonl";
  add_run(*run_cmd, run, progress, no_progress, format);

  parallm::cli::validate_args validate;
  auto* validate_cmd = app.add_subcommand("validate", "Check a job file (and an input file)");
  validate_cmd->add_option("job", validate.job_path, "Job file (YAML)")->required();
  validate_cmd->add_option("-i,--input", validate.input, "Input JSONL to check against the job");
  validate_cmd->add_option("--set", validate.overrides, "Override a job setting: KEY=VALUE");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : parallm::cli::exit_bad_input;
  }
  if (*run_cmd) {
    if (progress || no_progress) run.progress = progress && !no_progress;
    run.openai_batch_output = format == "openai-batch";
    return parallm::cli::run_command(run);
  }
  return parallm::cli::validate_command(validate);
}
