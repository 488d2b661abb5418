#include "cli/submit_command.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <unistd.h>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/coordinator_setup.hpp"
#include "actors/input_reader.hpp"
#include "cli/exit_codes.hpp"
#include "cli/job_setup.hpp"
#include "cli/node_system.hpp"
#include "cli/peer_identity.hpp"
#include "cli/run_files.hpp"
#include "cli/signal_watch.hpp"
#include "nodes/client_node.hpp"
#include "nodes/gateway.hpp"
#include "nodes/key_refusal_note.hpp"
#include "nodes/wire_codec.hpp"

namespace parallm::cli {
namespace {

std::optional<std::string> read_job_text(const std::string& path) {
  if (path.empty()) return std::string();
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) return std::nullopt;
  return text.str();
}

}  // namespace

int submit_command(const submit_args& args) {
  const auto& run = args.run;
  nodes::curve_settings curve;
  if (!client_curve_settings("parallm submit", args.curve, curve)) return exit_bad_input;
  // The job is checked here first: a mistake is reported before anything is sent.
  const auto job = load_run_job(run);
  if (!job) return exit_bad_input;
  const auto job_text = read_job_text(run.job_path);
  if (!job_text) {
    std::fprintf(stderr, "parallm: cannot read %s\n", run.job_path.c_str());
    return exit_bad_input;
  }
  auto files = open_run_files(run);
  if (!files) return exit_bad_input;
  auto writer = files->writer;

  signal_watch signals;
  caf::actor_system_config cfg;
  configure_node_scheduler(cfg);
  caf::actor_system system{cfg};
  caf::scoped_actor waiter{system};

  actors::input_reader_options reader_opts{files->input, job->graph, files->already_done};
  reader_opts.keep_text = true;
  auto reader = actors::spawn_input_reader(system, reader_opts);

  std::shared_ptr<nodes::gateway> gateway;
  const auto limits = std::make_shared<nodes::announced_limits>();
  nodes::client_node_options opts;
  opts.limits = limits;
  opts.post = [&gateway](std::size_t socket, std::string id, std::string frame) {
    gateway->post(socket, std::move(id), std::move(frame));
  };
  opts.coordinator = args.coordinator;
  opts.reader = reader;
  opts.writer = writer;
  opts.job.batch = 1;
  // Absolute, so that the coordinator anchors the job's relative paths (a ca_file) where
  // this client found them.
  opts.job.job_path = run.job_path.empty() ? "" : std::filesystem::absolute(run.job_path).string();
  opts.job.job_text = *job_text;
  opts.job.overrides = overrides_for(run.shorthands, run.overrides);
  opts.job.openai_batch_input = job->openai_batch;
  opts.job.openai_batch_output = run.openai_batch_output;
  opts.job.nonce = actors::random_u64();
  opts.progress = run.progress.value_or(::isatty(STDERR_FILENO) != 0);
  if (opts.progress && run.input != "-") {
    opts.progress_total = batch::line_reader::count_lines(run.input).value_or(0);
  }
  opts.done = caf::actor_cast<actors::run_end_actor>(waiter);
  const auto refused = opts.job_refused;
  auto node = nodes::spawn_client_node(system, opts);

  const auto client_id = new_client_id();
  nodes::client_events events{node};
  nodes::dealer_settings link_opts;
  link_opts.hello = nodes::encode(nodes::client_hello{client_id, host_name()});
  link_opts.announced = limits;
  nodes::dealer_link link{link_opts,
                          events,
                          {nodes::command::credit, nodes::command::item_lines,
                           nodes::command::batch_done, nodes::command::status_reply}};
  nodes::socket_spec socket{.kind = nodes::socket_spec::role::dealer_connect,
                            .endpoint = args.coordinator,
                            .routing_id = client_id,
                            .curve = curve};
  nodes::key_refusal_note refusal_note("parallm submit", curve.public_key);
  gateway = std::make_shared<nodes::gateway>(std::vector<nodes::socket_spec>{socket}, link,
                                             std::chrono::milliseconds(100), &refusal_note);
  try {
    gateway->start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parallm: %s\n", e.what());
    std::_Exit(exit_bad_input);
  }

  signals.on_first([node] { caf::anon_send(node, actors::stop_atom::value); });
  signals.on_abort([writer] { writer->flush_within(std::chrono::seconds(1)); });
  std::optional<actors::run_report> report;
  waiter->receive([&](actors::run_end_atom, actors::run_report& end) { report = std::move(end); });
  writer->flush();
  gateway->stop();
  int status = exit_bad_input;
  if (*refused) {
    std::fprintf(stderr, "parallm: %s\n", report->error.c_str());
  } else {
    status = report_outcome(run, *report, signals.interrupted());
  }
  // The reader may be blocked on an input that never ends (a pipe); everything is written.
  std::fflush(nullptr);
  std::_Exit(status);
}

}  // namespace parallm::cli
