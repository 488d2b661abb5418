#pragma once
// The bodies of the wire protocol's frames (PROTOCOL.md), one struct per command. They carry
// the in-process vocabulary (actors/messages.hpp) across processes: a worker sees call
// profiles and tasks, never a job's graph, and never an API key, only the variable's name.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/task_key.hpp"
#include "batch/line_facts.hpp"
#include "config/job.hpp"
#include "nodes/protocol.hpp"
#include "providers/call_outcome.hpp"
#include "providers/rate_headers.hpp"

namespace parallm::nodes {

// A task's identity across retries, worker deaths and coordinator restarts: the actors' own.
using task_key = actors::task_key;

struct worker_hello {
  std::string name;
  std::string host;
  std::uint32_t capacity = 0;  // tasks it runs at once: its initial credit
};

struct client_hello {
  std::string client_id;  // chosen by the client, kept across its reconnections
  std::string host;
};

struct welcome {
  std::uint64_t epoch = 0;
  std::uint32_t heartbeat_ms = 0;
  std::uint32_t liveness_ms = 0;  // silence after which a peer is taken for dead
  wire_limits limits;             // what the coordinator takes from this peer
};

struct heartbeat {
  std::uint64_t epoch = 0;  // the sender's view of the coordinator's epoch; 0 before welcome
};

struct credit {
  std::uint64_t batch = 0;  // the client's batch for item credit; 0 for a worker's task credit
  std::uint32_t count = 0;
};

// Everything a worker needs to make one kind of call of a batch.
struct call_profile {
  config::provider_spec endpoint;
  std::optional<double> temperature;
  std::optional<int> max_tokens;
  nlohmann::json params = nlohmann::json::object();  // the node's extra request fields
  bool passthrough = false;                          // OpenAI Batch lines: the prompt is the body
  std::uint32_t timeout_ms = 60000;
};

struct batch_profiles {
  std::uint64_t batch = 0;  // the coordinator's batch, as in task_key
  std::vector<call_profile> profiles;
};

struct wire_task {
  task_key key;
  std::uint32_t attempt = 1;
  std::uint32_t generation = 0;  // bumped when the task is taken back from a lost worker
  std::uint32_t profile = 0;     // index into the batch's profiles
  std::uint32_t element = 0;
  std::string prompt;
  std::string system;
  std::uint32_t count = 1;
};

struct task_frame {
  std::vector<wire_task> tasks;
};

struct wire_result {
  task_key key;
  std::uint32_t attempt = 1;  // key, attempt and generation echo the task's
  std::uint32_t generation = 0;
  providers::call_outcome outcome;
  double latency_ms = 0;
  providers::rate_headers rate;
};

struct result_frame {
  std::vector<wire_result> results;
};

struct submit {
  std::uint64_t batch = 0;  // chosen by the client, unique among its batches
  std::string job_path;     // for messages only: the job is job_text
  std::string job_text;     // may be empty when the input is an OpenAI Batch file: no job file
  // The client's --set list, shorthands already folded in: the coordinator applies them when
  // it parses job_text (config::parse_job), so a job means the same on every machine.
  std::vector<std::string> overrides;
  bool openai_batch_input = false;   // the input lines are an OpenAI Batch file's requests
  bool openai_batch_output = false;  // --format openai-batch
  std::uint64_t nonce = 0;           // drawn by the client per run: Batch output line ids
};

struct input_line {
  std::uint64_t seq = 0;   // admitted items 0, 1, 2, ... of the batch
  std::uint64_t line = 0;  // in the input file, for messages
  std::string text;        // the raw input line
  // Set when the client already found the line bad (a duplicate id, a missing template
  // variable, not a JSON object): the coordinator writes the item out as failed with it.
  std::string error;
};

struct item_frame {
  std::uint64_t batch = 0;
  std::vector<input_line> items;
  bool end_of_input = false;
  std::uint64_t skipped = 0;  // lines the client's --resume found already written
};

// How an output line's item ended (ok=0, partial=1, failed=2 on the wire), so the client
// counts its summary without parsing the line.
using line_status = batch::line_status;

struct item_line {
  std::uint64_t seq = 0;
  std::string text;  // the output line, JSON, without its newline
  line_status status = line_status::ok;
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
  std::uint64_t latency_us = 0;
  // The item's calls, their attempts and the attempts answered 429: the client sums these
  // over the lines it writes, so its totals survive a coordinator restart.
  std::uint64_t calls = 0;
  std::uint64_t attempts = 0;
  std::uint64_t rate_limited = 0;
};

struct line_frame {
  std::uint64_t batch = 0;
  std::vector<item_line> lines;
};

struct batch_done {
  std::uint64_t batch = 0;
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  std::string error;    // an internal error, or why the job was refused; empty otherwise
  std::string stopped;  // why the batch stopped early: its first calls all failed alike
};

struct status_request {};

struct worker_status {
  std::string name;
  std::string host;
  std::uint32_t capacity = 0;
  std::uint32_t in_flight = 0;
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
  std::uint64_t heartbeat_age_ms = 0;
};

struct batch_status {
  std::string client_id;
  std::string job;
  std::uint64_t done = 0;
  std::uint64_t total = 0;  // 0 until the client's input ended
  double rate = 0;          // items per second
};

// A number the coordinator counts, by name: "workers.dropped.malformed", "results.stray", ...
struct counter {
  std::string name;
  std::uint64_t value = 0;
};

struct status_reply {
  std::vector<worker_status> workers;
  std::vector<batch_status> batches;
  std::vector<counter> counters;
};

struct refusal {
  command refused = command::worker_hello;
  std::uint64_t batch = 0;  // the batch it concerns, 0 for none
  std::string reason;
};

// One alternative per command, in the order of nodes::command.
using message = std::variant<worker_hello, client_hello, welcome, heartbeat, credit, batch_profiles,
                             task_frame, result_frame, submit, item_frame, line_frame, batch_done,
                             status_request, status_reply, refusal>;
static_assert(std::variant_size_v<message> == command_count);

inline command command_of(const message& m) {
  return static_cast<command>(m.index());
}

}  // namespace parallm::nodes
