#pragma once
// The validated model of a job file (CONTRACT.md, "Job file"). Everything downstream of
// config/ works on this model only, never on YAML.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace parallm::config {

enum class provider_kind { sim, openai, anthropic };

// How a sim call fails when fail_rate picks it.
enum class sim_failure { http_429, http_500, timeout };

struct sim_options {
  double latency_ms = 0;
  double jitter_ms = 0;
  double fail_rate = 0;
  sim_failure fail_status = sim_failure::http_500;
  std::vector<std::string> choices;
  std::vector<double> weights;  // empty = uniform over choices
  std::uint64_t seed = 0;
};

struct provider_spec {
  provider_kind kind = provider_kind::sim;
  std::string base_url;
  std::string model;
  std::string api_key_env;        // the name of the variable, never the key itself
  std::string anthropic_version;  // anthropic only; a default is filled in
  bool require_content = false;   // http: an empty completion is a final failure
  bool supports_n = false;        // openai only: `samples: N` is one request with "n": N
  std::string ca_file;            // http: PEM bundle that verifies the endpoint; empty = system's
  sim_options sim;
  nlohmann::json params = nlohmann::json::object();  // extra request fields, passed through
};

struct limits_spec {
  int concurrency = 64;   // in-flight calls per worker
  double rpm = 0;         // requests per minute, all workers together; 0 = unlimited
  double tpm = 0;         // tokens per minute, all workers together; 0 = unlimited
  double timeout_s = 60;  // per call
  int max_retries = 4;    // retryable failures only
  double backoff_initial_s = 0.5;
  double backoff_max_s = 30;
  int window = 0;  // items admitted at once; 0 = derived from concurrency and workers
  // Stop the run when the first N settled calls all failed with the same final error (a
  // wrong key, port or model fails every call alike); 0 = never.
  int abort_after_failures = 20;
  std::uint64_t max_response_bytes = 64ull << 20;  // http: a larger answer fails the call
};

enum class node_kind { llm, split, reduce };
enum class reducer_kind { collect, concat, template_text, vote, max, min, first, llm };
enum class split_by { paragraph, sentence, chars };

struct source_location {
  int line = 0;  // 1-based; 0 = unknown
  int column = 0;
};

struct node_spec {
  std::string name;
  node_kind kind = node_kind::llm;
  source_location where;

  // llm nodes and `reduce: llm`
  std::string prompt;
  std::string system;
  std::optional<double> temperature;
  std::optional<int> max_tokens;
  int samples = 1;
  std::string foreach;                    // name of a split node
  std::optional<provider_spec> provider;  // overrides the job's provider
  nlohmann::json params = nlohmann::json::object();
  // Not in job files: the rendered prompt is the whole request body, sent as it is, the
  // rendered system is the request's path (the line's url), and the output is the answer's
  // envelope (OpenAI Batch API files).
  bool passthrough = false;

  // split nodes
  std::string split_source;  // an input field, or the name of a node
  split_by by = split_by::paragraph;
  std::size_t max_chars = 0;  // 0 = no limit

  // reduce nodes
  std::vector<std::string> after;
  reducer_kind reduce = reducer_kind::collect;
  std::string template_text;
  std::string separator = "\n\n";  // concat
  int quorum = 0;                  // vote: votes the winner needs; 0 = the most votes wins

  // Any node with several branches (samples, foreach, after): how many must succeed.
  std::optional<int> min_success;  // unset = all
};

struct job {
  std::string path;  // where it was read from, for messages
  int version = 1;
  std::string name;
  provider_spec provider;
  limits_spec limits;
  std::vector<node_spec> nodes;  // declared order
  std::string output;            // the node whose output is the item's output
};

}  // namespace parallm::config
