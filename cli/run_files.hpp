#pragma once
// What `run` and `submit` share around the batch itself: the job and the files set up before
// it, and the closing summary, --stats and exit status after it.

#include <memory>
#include <optional>

#include "actors/messages.hpp"
#include "batch/line_reader.hpp"
#include "batch/output_writer.hpp"
#include "batch/resume_scan.hpp"
#include "cli/run_command.hpp"
#include "flow/graph.hpp"

namespace parallm::cli {

struct run_job {
  std::shared_ptr<const flow::graph> graph;
  bool openai_batch = false;  // the input is an OpenAI Batch API file
};

// Checks the command line and the input, then loads the job; prints every problem to stderr
// and returns nullopt if there is any.
std::optional<run_job> load_run_job(const run_args& args);

struct run_files {
  std::shared_ptr<batch::line_reader> input;
  std::shared_ptr<const batch::resume_state> already_done;  // --resume; else null
  std::shared_ptr<batch::output_writer> writer;
};

// Opens the input, then the output: an output that is the input is refused before --resume
// or --retry-failed touch it. Prints why not and returns nullopt.
std::optional<run_files> open_run_files(const run_args& args);

// Prints the closing summary and what ended the run, writes --stats, and returns the exit
// status (cli/exit_codes.hpp).
int report_outcome(const run_args& args, const actors::run_report& report, bool interrupted);

}  // namespace parallm::cli
