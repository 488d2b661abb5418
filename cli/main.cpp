// The `parallm` executable: parses the command line and hands off to one command.

#include <cstdio>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "cli/coordinator_command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/keygen_command.hpp"
#include "cli/run_command.hpp"
#include "cli/status_command.hpp"
#include "cli/submit_command.hpp"
#include "cli/validate_command.hpp"
#include "cli/worker_command.hpp"

namespace {

constexpr std::string_view commands[] = {"run",    "coordinator", "worker", "submit",
                                         "status", "validate",    "keygen", "help"};

void add_shorthands(CLI::App& app, parallm::cli::setting_shorthands& shorthands) {
  app.add_option("-c,--concurrency", shorthands.concurrency,
                 "In-flight calls per worker (overrides limits.concurrency)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--provider", shorthands.provider,
                 "Provider kind (openai | anthropic | sim): short for --set provider.kind=...; "
                 "the job's fields of another kind are dropped");
  app.add_option("--base-url", shorthands.base_url, "Short for --set provider.base_url=...");
  app.add_option("--api-key-env", shorthands.api_key_env,
                 "Environment variable holding the API key: short for --set "
                 "provider.api_key_env=...");
}

// What run and submit share: the job, the files and how lines are written.
void add_batch_options(CLI::App& app, parallm::cli::run_args& args, bool& progress,
                       bool& no_progress, std::string& format) {
  app.add_option("job", args.job_path,
                 "Job file (YAML); may be left out when the input is an OpenAI Batch API file");
  app.add_option("-i,--input", args.input, "Input JSONL, '-' for stdin")->required();
  app.add_option("-o,--output", args.output, "Output JSONL, '-' for stdout")->required();
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
  app.add_option("--set", args.overrides,
                 "Override a job setting: KEY=VALUE, VALUE in YAML (repeatable)");
  add_shorthands(app, args.shorthands);
  app.add_option("--format", format, "Output format: jsonl (default) or openai-batch")
      ->check(CLI::IsMember({"jsonl", "openai-batch"}));
  app.add_option("--stats", args.stats_path,
                 "Also write the closing summary as one JSON object to this file");
}

void add_run(CLI::App& app, parallm::cli::run_args& args, bool& progress, bool& no_progress,
             std::string& format) {
  add_batch_options(app, args, progress, no_progress, format);
  app.add_option("-w,--workers", args.workers, "Worker actors")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
}

// worker, submit and status: how they prove who they are to a coordinator with CURVE.
void add_client_curve(CLI::App& app, parallm::cli::client_curve_args& args) {
  auto* secret = app.add_option("--curve-secret", args.secret_file,
                                "This peer's secret key file (parallm keygen; mode 0600); with "
                                "--server-key, talk CURVE");
  auto* server = app.add_option("--server-key", args.server_key_file,
                                "The coordinator's public key file (its PREFIX.public)");
  secret->needs(server);
  server->needs(secret);
}

void add_submit(CLI::App& app, parallm::cli::submit_args& args, bool& progress, bool& no_progress,
                std::string& format) {
  add_batch_options(app, args.run, progress, no_progress, format);
  app.add_option("--coordinator", args.coordinator,
                 "The coordinator's endpoint for clients, e.g. tcp://10.0.0.5:5556")
      ->required();
  add_client_curve(app, args.curve);
}

// What a peer may send and how many peers and batches there may be; a breach is refused with
// a reason (PROTOCOL.md, "Limits").
void add_coordinator_limits(CLI::App& app, parallm::nodes::coordinator_limits& limits) {
  app.add_option("--max-frame-bytes", limits.wire.max_frame_bytes,
                 "Largest frame taken from a worker or client; larger ones are dropped and "
                 "counted (too_large). Announced in the welcome: peers keep their frames within it")
      ->check(CLI::Range(std::size_t{1} << 16, std::size_t{1} << 30))
      ->capture_default_str();
  app.add_option("--max-items-per-frame", limits.wire.max_items,
                 "Most entries of any one list in a frame (tasks, results, input lines); "
                 "announced, peers keep within it")
      ->check(CLI::Range(16u, 1u << 20))
      ->capture_default_str();
  app.add_option("--max-string-bytes", limits.wire.max_string_bytes,
                 "Longest string in a frame (an input line, a prompt, an answer, a job)")
      ->check(CLI::Range(1u << 10, 1u << 30))
      ->capture_default_str();
  app.add_option("--max-client-in-flight", limits.max_client_in_flight,
                 "Most input lines of one batch a client may have at the coordinator before "
                 "its run takes them (its credit); a client that sends this many past its "
                 "credit has the batch refused")
      ->check(CLI::Range(1u, 1u << 24))
      ->capture_default_str();
  app.add_option("--max-batches-per-client", limits.max_batches_per_client,
                 "Batches one client may run at once; more are refused")
      ->check(CLI::Range(1u, 1u << 16))
      ->capture_default_str();
  app.add_option("--max-workers", limits.max_workers,
                 "Workers that may be joined at once; more are refused until one leaves")
      ->check(CLI::Range(1u, 1u << 20))
      ->capture_default_str();
  app.add_option("--max-clients", limits.max_clients,
                 "Clients (submit, status) that may be connected at once; more are refused "
                 "until one leaves")
      ->check(CLI::Range(1u, 1u << 20))
      ->capture_default_str();
}

void add_coordinator(CLI::App& app, parallm::cli::coordinator_args& args) {
  app.add_option("--workers-bind", args.workers_bind,
                 "Endpoint to bind for workers, e.g. tcp://0.0.0.0:5555")
      ->required();
  app.add_option("--clients-bind", args.clients_bind,
                 "Endpoint to bind for clients (submit, status), e.g. tcp://0.0.0.0:5556")
      ->required();
  app.add_option("--heartbeat-ms", args.heartbeat_ms, "Heartbeat interval in milliseconds")
      ->check(CLI::Range(10, 600000))
      ->capture_default_str();
  app.add_option("--liveness", args.liveness,
                 "Heartbeats a worker or client may miss before it is taken for dead")
      ->check(CLI::Range(2, 1000))
      ->capture_default_str();
  app.add_option("--log-level", args.log_level,
                 "error, warn (also lost workers, dropped frames), info (also joins and "
                 "batches) or debug (the same as info)")
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}))
      ->capture_default_str();
  add_coordinator_limits(app, args.limits);
  auto& security = args.security;
  app.add_option("--curve-secret", security.curve_secret,
                 "Secret key file (parallm keygen; mode 0600): both ports talk CURVE and admit "
                 "only the peers whose public keys are in the allow-lists");
  app.add_option("--authorized-keys", security.authorized_keys,
                 "Allow-list directory of public key files, for any side without its own; "
                 "re-read when it changes and on SIGHUP");
  app.add_option("--authorized-workers", security.authorized_workers,
                 "Allow-list directory for workers");
  app.add_option("--authorized-clients", security.authorized_clients,
                 "Allow-list directory for clients (submit, status)");
  app.add_flag("--insecure", security.insecure,
               "Without --curve-secret, bind beyond loopback anyway: plain text, and anyone who "
               "reaches the ports can join");
}

void add_keygen(CLI::App& app, parallm::cli::keygen_args& args) {
  app.add_option("--out", args.prefix,
                 "Writes PREFIX.secret (mode 0600, for this peer alone) and PREFIX.public (for "
                 "the others' --server-key or allow-lists)")
      ->required();
  app.add_flag("--force", args.force, "Overwrite existing key files");
}

void add_status(CLI::App& app, parallm::cli::status_args& args) {
  app.add_option("--coordinator", args.coordinator, "The coordinator's endpoint for clients")
      ->required();
  app.add_flag("--json", args.json, "Print one JSON object instead of a table");
  app.add_option("--timeout-ms", args.timeout_ms, "How long to wait for the answer")
      ->check(CLI::Range(1, 3600000))
      ->capture_default_str();
  add_client_curve(app, args.curve);
}

void add_validate(CLI::App& app, parallm::cli::validate_args& args) {
  app.add_option("job", args.job_path, "Job file (YAML)")->required();
  app.add_option("-i,--input", args.input, "Input JSONL to check against the job");
  app.add_option("--set", args.overrides,
                 "Override a job setting: KEY=VALUE, VALUE in YAML (repeatable)");
  add_shorthands(app, args.shorthands);
}

void add_worker(CLI::App& app, parallm::cli::worker_args& args) {
  app.add_option("--connect", args.connect,
                 "The coordinator's endpoint for workers, e.g. tcp://coord-host:5555")
      ->required();
  app.add_option("--name", args.name, "This worker's name in the coordinator's status")
      ->default_str("HOSTNAME:PID");
  app.add_option("-c,--concurrency", args.concurrency, "Calls in flight at once (its capacity)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--endpoint-map", args.endpoint_map,
                 "FROM=TO: call TO where a job's endpoint base_url is FROM or under it "
                 "(repeatable)");
  app.add_option("--heartbeat-ms", args.heartbeat_ms,
                 "How often to say hello until the coordinator answers (then it sets the "
                 "heartbeat)")
      ->check(CLI::Range(10, 600000))
      ->capture_default_str();
  app.add_option("--log-level", args.log_level, "error, warn, info or debug")
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}))
      ->capture_default_str();
  add_client_curve(app, args.curve);
}

// CLI11 reports a mistyped command as an unexpected argument, or not at all.
bool is_unknown_command(std::string_view word) {
  if (word.empty() || word.front() == '-') return false;
  for (const auto command : commands) {
    if (word == command) return false;
  }
  return true;
}

int help(CLI::App& app, const std::string& topic) {
  if (topic.empty()) {
    // app.help() would describe the command being parsed, `help` itself.
    const auto text =
        app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal);
    std::fputs(text.c_str(), stdout);
    return parallm::cli::exit_ok;
  }
  for (auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_name() == topic) {
      const auto text =
          app.get_formatter()->make_help(sub, "parallm " + topic, CLI::AppFormatMode::Normal);
      std::fputs(text.c_str(), stdout);
      return parallm::cli::exit_ok;
    }
  }
  std::fprintf(stderr,
               "parallm: unknown command '%s' (commands: run, coordinator, worker, submit, status, "
               "validate, keygen, help)\n",
               topic.c_str());
  return parallm::cli::exit_bad_input;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "parallm: runs batches of LLM calls in parallel, within the providers' limits: in this "
      "process (run), or on workers across hosts (coordinator, worker, submit, status).\n"
      "Commands: run, coordinator, worker, submit, status, validate, keygen, help [COMMAND]."};
  app.name("parallm");
  app.set_version_flag("--version", "parallm " PARALLM_VERSION);
  app.require_subcommand(1);

  parallm::cli::run_args run;
  bool progress = false;
  bool no_progress = false;
  auto* run_cmd = app.add_subcommand("run", "Run a batch in this process");
  std::string format = "jsonl";
  add_run(*run_cmd, run, progress, no_progress, format);

  parallm::cli::submit_args submit;
  bool submit_progress = false;
  bool submit_no_progress = false;
  std::string submit_format = "jsonl";
  auto* submit_cmd = app.add_subcommand("submit", "Run a batch on a coordinator's workers");
  add_submit(*submit_cmd, submit, submit_progress, submit_no_progress, submit_format);

  parallm::cli::coordinator_args coordinator;
  auto* coordinator_cmd = app.add_subcommand(
      "coordinator", "Run batches that clients submit on the workers that connect");
  add_coordinator(*coordinator_cmd, coordinator);

  parallm::cli::worker_args worker;
  auto* worker_cmd =
      app.add_subcommand("worker", "Run a coordinator's calls in this process until stopped");
  add_worker(*worker_cmd, worker);

  parallm::cli::status_args status;
  auto* status_cmd =
      app.add_subcommand("status", "Show a coordinator's workers and running batches");
  add_status(*status_cmd, status);

  parallm::cli::validate_args validate;
  auto* validate_cmd = app.add_subcommand("validate", "Check a job file (and an input file)");
  add_validate(*validate_cmd, validate);

  parallm::cli::keygen_args keygen;
  auto* keygen_cmd =
      app.add_subcommand("keygen", "Make a CURVE key pair for a coordinator, a worker or a client");
  add_keygen(*keygen_cmd, keygen);

  std::string help_topic;
  auto* help_cmd = app.add_subcommand("help", "Describe the commands, or one of them");
  help_cmd->add_option("command", help_topic, "The command to describe");

  if (argc > 1 && is_unknown_command(argv[1])) {
    std::fprintf(
        stderr,
        "parallm: unknown command '%s' (commands: run, coordinator, worker, submit, status, "
        "validate, keygen, help)\n",
        argv[1]);
    return parallm::cli::exit_bad_input;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : parallm::cli::exit_bad_input;
  }
  if (*help_cmd) return help(app, help_topic);
  if (*run_cmd) {
    if (progress || no_progress) run.progress = progress && !no_progress;
    run.openai_batch_output = format == "openai-batch";
    return parallm::cli::run_command(run);
  }
  if (*submit_cmd) {
    if (submit_progress || submit_no_progress)
      submit.run.progress = submit_progress && !submit_no_progress;
    submit.run.openai_batch_output = submit_format == "openai-batch";
    return parallm::cli::submit_command(submit);
  }
  if (*coordinator_cmd) return parallm::cli::coordinator_command(coordinator);
  if (*status_cmd) return parallm::cli::status_command(status);
  if (*worker_cmd) return parallm::cli::worker_command(worker);
  if (*keygen_cmd) return parallm::cli::keygen_command(keygen);
  return parallm::cli::validate_command(validate);
}
