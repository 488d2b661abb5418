#define BOOST_TEST_MODULE config_job_loader
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "config_test_support.hpp"

using namespace parallm::config;
using parallm::config::testing::error_at;
using parallm::config::testing::mentions;
using parallm::config::testing::parse;
using parallm::config::testing::valid;

namespace {

const node_spec& node_named(const job& j, const std::string& name) {
  for (const auto& n : j.nodes) {
    if (n.name == name) return n;
  }
  BOOST_TEST_FAIL("no node " + name);
  return j.nodes.front();
}

}  // namespace

BOOST_AUTO_TEST_CASE(batch_map_takes_every_default) {
  const auto result =
      parse_job("nodes:\n  answer: { prompt: \"Q: {{question}}\" }\n", "jobs/batch_map.yaml");
  BOOST_TEST_REQUIRE(result.errors.empty());
  const job& j = *result.value;
  BOOST_TEST(j.path == "jobs/batch_map.yaml");
  BOOST_TEST(j.version == 1);
  BOOST_TEST(j.name == "batch_map");
  BOOST_TEST((j.provider.kind == provider_kind::sim));
  BOOST_TEST(j.provider.model == "sim");
  BOOST_TEST(j.provider.params == nlohmann::json::object());
  BOOST_TEST(j.provider.sim.fail_rate == 0.0);
  BOOST_TEST(j.provider.sim.choices.empty());
  BOOST_TEST(j.limits.concurrency == 64);
  BOOST_TEST(j.limits.rpm == 0.0);
  BOOST_TEST(j.limits.timeout_s == 60.0);
  BOOST_TEST(j.limits.max_retries == 4);
  BOOST_TEST(j.limits.backoff_initial_s == 0.5);
  BOOST_TEST(j.limits.backoff_max_s == 30.0);
  BOOST_TEST(j.limits.window == 0);
  BOOST_TEST_REQUIRE(j.nodes.size() == 1u);
  const node_spec& n = j.nodes[0];
  BOOST_TEST(n.name == "answer");
  BOOST_TEST((n.kind == node_kind::llm));
  BOOST_TEST(n.prompt == "Q: {{question}}");
  BOOST_TEST(n.samples == 1);
  BOOST_TEST(!n.temperature.has_value());
  BOOST_TEST(!n.provider.has_value());
  BOOST_TEST(!n.min_success.has_value());
  BOOST_TEST(n.where.line == 2);
  BOOST_TEST(n.where.column == 3);
  BOOST_TEST(j.output == "answer");
}

BOOST_AUTO_TEST_CASE(trio_with_template_and_min_success) {
  const job j = valid(R"(version: 1
name: trio
provider:
  kind: openai
  base_url: http://127.0.0.1:8000/v1/
  model: gpt-4o-mini
  api_key_env: MY_KEY
limits:
  concurrency: 32
  rpm: 3000
  tpm: 2000000
  timeout_s: 12.5
  max_retries: 2
  backoff_initial_s: 1
  backoff_max_s: 8
  window: 100
nodes:
  joke:  { prompt: "Write a joke about {{topic}}", system: "Be {{tone}}.", max_tokens: 50 }
  story: { prompt: "Write a short story about {{topic}}" }
  poem:  { prompt: "Write a poem about {{topic}}", temperature: 0.9 }
  combined:
    after: [joke, story, poem]
    reduce: template
    template: "STORY:\n{{story}}\n\nJOKE:\n{{joke}}\n\nPOEM:\n{{poem}} for {{topic}}"
    min_success: 2
output: combined
)");
  BOOST_TEST(j.name == "trio");
  BOOST_TEST((j.provider.kind == provider_kind::openai));
  BOOST_TEST(j.provider.base_url == "http://127.0.0.1:8000/v1");
  BOOST_TEST(j.provider.model == "gpt-4o-mini");
  BOOST_TEST(j.provider.api_key_env == "MY_KEY");
  BOOST_TEST(j.provider.anthropic_version.empty());
  BOOST_TEST(!j.provider.supports_n);
  BOOST_TEST(j.limits.concurrency == 32);
  BOOST_TEST(j.limits.rpm == 3000.0);
  BOOST_TEST(j.limits.tpm == 2000000.0);
  BOOST_TEST(j.limits.timeout_s == 12.5);
  BOOST_TEST(j.limits.max_retries == 2);
  BOOST_TEST(j.limits.backoff_initial_s == 1.0);
  BOOST_TEST(j.limits.backoff_max_s == 8.0);
  BOOST_TEST(j.limits.window == 100);
  BOOST_TEST_REQUIRE(j.nodes.size() == 4u);
  BOOST_TEST(j.nodes[0].name == "joke");
  BOOST_TEST(j.nodes[1].name == "story");
  BOOST_TEST(j.nodes[2].name == "poem");
  BOOST_TEST(j.nodes[0].system == "Be {{tone}}.");
  BOOST_TEST(j.nodes[0].max_tokens.value() == 50);
  BOOST_TEST(j.nodes[2].temperature.value() == 0.9);
  const node_spec& combined = j.nodes[3];
  BOOST_TEST((combined.kind == node_kind::reduce));
  BOOST_TEST((combined.reduce == reducer_kind::template_text));
  BOOST_TEST(combined.after == (std::vector<std::string>{"joke", "story", "poem"}),
             boost::test_tools::per_element());
  BOOST_TEST(combined.template_text ==
             "STORY:\n{{story}}\n\nJOKE:\n{{joke}}\n\nPOEM:\n{{poem}} for {{topic}}");
  BOOST_TEST(combined.min_success.value() == 2);
  BOOST_TEST(combined.where.line == 21);
  BOOST_TEST(j.output == "combined");
}

BOOST_AUTO_TEST_CASE(voting_with_sim_choices_and_quorum) {
  const job j = valid(R"(provider:
  kind: sim
  model: sim-large
  latency_ms: 20
  jitter_ms: 5
  fail_rate: 0.25
  fail_status: 429
  choices: [yes, no]
  weights: [0.7, 0.3]
  seed: 42
nodes:
  label: { prompt: "Is {{text}} positive?", samples: 5, min_success: 3 }
  verdict: { after: [label], reduce: vote, quorum: 3 }
)");
  const sim_options& sim = j.provider.sim;
  BOOST_TEST(j.provider.model == "sim-large");
  BOOST_TEST(sim.latency_ms == 20.0);
  BOOST_TEST(sim.jitter_ms == 5.0);
  BOOST_TEST(sim.fail_rate == 0.25);
  BOOST_TEST((sim.fail_status == sim_failure::http_429));
  BOOST_TEST(sim.choices == (std::vector<std::string>{"yes", "no"}),
             boost::test_tools::per_element());
  BOOST_TEST(sim.weights == (std::vector<double>{0.7, 0.3}), boost::test_tools::per_element());
  BOOST_TEST(sim.seed == 42u);
  BOOST_TEST(j.nodes[0].samples == 5);
  BOOST_TEST(j.nodes[0].min_success.value() == 3);
  BOOST_TEST((j.nodes[1].reduce == reducer_kind::vote));
  BOOST_TEST(j.nodes[1].quorum == 3);
  BOOST_TEST(j.output == "verdict");
}

BOOST_AUTO_TEST_CASE(map_reduce_with_split_foreach_and_llm_after) {
  const job j = valid(R"(nodes:
  chunks: { split: document, by: paragraph, max_chars: 4000 }
  summary: { foreach: chunks, prompt: "Summarize part {{item_index}}: {{item}}", min_success: 1 }
  final: { after: [summary], prompt: "Combine: {{summary}}", system: "Title: {{doc.title}}" }
)");
  const node_spec& chunks = j.nodes[0];
  BOOST_TEST((chunks.kind == node_kind::split));
  BOOST_TEST(chunks.split_source == "document");
  BOOST_TEST((chunks.by == split_by::paragraph));
  BOOST_TEST(chunks.max_chars == 4000u);
  const node_spec& summary = j.nodes[1];
  BOOST_TEST((summary.kind == node_kind::llm));
  BOOST_TEST(summary.foreach == "chunks");
  BOOST_TEST(summary.min_success.value() == 1);
  const node_spec& final_step = j.nodes[2];
  BOOST_TEST((final_step.kind == node_kind::reduce));
  BOOST_TEST((final_step.reduce == reducer_kind::llm));
  BOOST_TEST(final_step.prompt == "Combine: {{summary}}");
  BOOST_TEST(final_step.system == "Title: {{doc.title}}");
  BOOST_TEST(j.output == "final");
}

BOOST_AUTO_TEST_CASE(redundancy_with_per_node_providers_and_first) {
  const job j = valid(R"(provider:
  kind: openai
  base_url: https://proxy.example/v1
  model: gpt-4o
  params: { top_p: 0.5 }
nodes:
  same_kind: { prompt: "{{q}}", provider: { model: gpt-4o-mini } }
  other_kind:
    prompt: "{{q}}"
    provider: { kind: anthropic, model: claude-3-5-haiku }
  simulated: { prompt: "{{q}}", provider: { kind: sim, seed: 7 } }
  plain: { prompt: "{{q}}" }
  best: { after: [same_kind, other_kind, simulated, plain], reduce: first }
)");
  const auto& same = node_named(j, "same_kind").provider.value();
  BOOST_TEST((same.kind == provider_kind::openai));
  BOOST_TEST(same.base_url == "https://proxy.example/v1");
  BOOST_TEST(same.model == "gpt-4o-mini");
  BOOST_TEST(same.api_key_env == "OPENAI_API_KEY");
  BOOST_TEST(same.params == nlohmann::json({{"top_p", 0.5}}));
  const auto& other = node_named(j, "other_kind").provider.value();
  BOOST_TEST((other.kind == provider_kind::anthropic));
  BOOST_TEST(other.base_url == "https://api.anthropic.com/v1");
  BOOST_TEST(other.model == "claude-3-5-haiku");
  BOOST_TEST(other.api_key_env == "ANTHROPIC_API_KEY");
  BOOST_TEST(other.anthropic_version == "2023-06-01");
  BOOST_TEST(other.params == nlohmann::json::object());
  const auto& simulated = node_named(j, "simulated").provider.value();
  BOOST_TEST((simulated.kind == provider_kind::sim));
  BOOST_TEST(simulated.sim.seed == 7u);
  BOOST_TEST(simulated.base_url.empty());
  BOOST_TEST(!node_named(j, "plain").provider.has_value());
  BOOST_TEST((node_named(j, "best").reduce == reducer_kind::first));
}

BOOST_AUTO_TEST_CASE(supports_n_is_read_and_inherited_by_same_kind_overrides) {
  const job j = valid(R"(provider: { kind: openai, model: m, supports_n: true }
nodes:
  inherits: { prompt: "{{q}}", samples: 3, provider: { model: other } }
  opts_out: { prompt: "{{q}}", samples: 3, provider: { supports_n: false } }
  fresh: { prompt: "{{q}}", provider: { kind: sim } }
)");
  BOOST_TEST(j.provider.supports_n);
  BOOST_TEST(node_named(j, "inherits").provider.value().supports_n);
  BOOST_TEST(!node_named(j, "opts_out").provider.value().supports_n);
  BOOST_TEST(!node_named(j, "fresh").provider.value().supports_n);
}

BOOST_AUTO_TEST_CASE(anthropic_defaults_and_explicit_version) {
  const job j =
      valid(R"(provider: { kind: anthropic, model: claude, anthropic_version: "2024-01-01" }
nodes: { a: { prompt: hi } }
)");
  BOOST_TEST(j.provider.base_url == "https://api.anthropic.com/v1");
  BOOST_TEST(j.provider.api_key_env == "ANTHROPIC_API_KEY");
  BOOST_TEST(j.provider.anthropic_version == "2024-01-01");
  const job openai = valid("provider: { kind: openai, model: m }\nnodes: { a: { prompt: hi } }\n");
  BOOST_TEST(openai.provider.base_url == "https://api.openai.com/v1");
  BOOST_TEST(openai.provider.api_key_env == "OPENAI_API_KEY");
}

BOOST_AUTO_TEST_CASE(params_turn_yaml_into_json_types) {
  const job j = valid(R"(nodes:
  a:
    prompt: hi
    params:
      response_format: { type: json_object }
      stop: ["\n", END]
      n: 2
      top_p: 0.5
      logprobs: true
      user: null
      quoted: "42"
)");
  const nlohmann::json expected = {{"response_format", {{"type", "json_object"}}},
                                   {"stop", {"\n", "END"}},
                                   {"n", 2},
                                   {"top_p", 0.5},
                                   {"logprobs", true},
                                   {"user", nullptr},
                                   {"quoted", "42"}};
  BOOST_TEST(j.nodes[0].params == expected);
  BOOST_TEST(j.nodes[0].params["n"].is_number_integer());
}

BOOST_AUTO_TEST_CASE(every_reducer_and_split_form) {
  const job j = valid(R"(nodes:
  src: { prompt: "Write about {{topic}}" }
  pieces: { split: src, by: chars, max_chars: 100 }
  nested: { split: doc.body, by: sentence }
  each: { foreach: pieces, prompt: "{{item}}" }
  all: { after: [src, each], reduce: collect, min_success: 1 }
  joined: { after: [src], reduce: concat, separator: " | " }
  biggest: { after: [src], reduce: max }
  smallest: { after: [src], reduce: min }
output: all
)");
  BOOST_TEST(node_named(j, "pieces").split_source == "src");
  BOOST_TEST((node_named(j, "pieces").by == split_by::chars));
  BOOST_TEST(node_named(j, "pieces").max_chars == 100u);
  BOOST_TEST(node_named(j, "nested").split_source == "doc.body");
  BOOST_TEST((node_named(j, "nested").by == split_by::sentence));
  BOOST_TEST((node_named(j, "all").reduce == reducer_kind::collect));
  BOOST_TEST(node_named(j, "joined").separator == " | ");
  BOOST_TEST((node_named(j, "biggest").reduce == reducer_kind::max));
  BOOST_TEST((node_named(j, "smallest").reduce == reducer_kind::min));
  BOOST_TEST(node_named(j, "joined").template_text.empty());
  BOOST_TEST(j.output == "all");
}

BOOST_AUTO_TEST_CASE(numbers_in_every_yaml_spelling) {
  const job j = valid(
      "limits: { rpm: 1e3, tpm: +500, timeout_s: .5, concurrency: \"8\" }\n"
      "nodes: { a: { prompt: hi, temperature: 0 } }\n");
  BOOST_TEST(j.limits.rpm == 1000.0);
  BOOST_TEST(j.limits.tpm == 500.0);
  BOOST_TEST(j.limits.timeout_s == 0.5);
  BOOST_TEST(j.limits.concurrency == 8);
  BOOST_TEST(j.nodes[0].temperature.value() == 0.0);
}

BOOST_AUTO_TEST_CASE(backoff_max_follows_a_large_initial_backoff) {
  const job j = valid("limits: { backoff_initial_s: 45 }\nnodes: { a: { prompt: hi } }\n");
  BOOST_TEST(j.limits.backoff_initial_s == 45.0);
  BOOST_TEST(j.limits.backoff_max_s == 45.0);
}

BOOST_AUTO_TEST_CASE(load_job_file_reads_a_file) {
  const auto path = std::filesystem::temp_directory_path() / "parallm_config_test_job.yaml";
  {
    std::ofstream out(path);
    out << "nodes:\n  a: { prompt: \"hi {{name}}\" }\n";
  }
  const auto result = load_job_file(path.string());
  std::filesystem::remove(path);
  BOOST_TEST_REQUIRE(result.errors.empty());
  BOOST_TEST(result.value->path == path.string());
  BOOST_TEST(result.value->name == "parallm_config_test_job");
  BOOST_TEST(result.value->nodes.at(0).prompt == "hi {{name}}");
}

BOOST_AUTO_TEST_CASE(load_job_file_reports_a_file_errors_with_its_path) {
  const auto path = std::filesystem::temp_directory_path() / "parallm_config_test_bad.yaml";
  {
    std::ofstream out(path);
    out << "nodes:\n  a: { prompt: hi, samples: 0 }\n";
  }
  const auto result = load_job_file(path.string());
  std::filesystem::remove(path);
  BOOST_TEST_REQUIRE(result.errors.size() == 1u);
  BOOST_TEST(result.errors[0].file == path.string());
  BOOST_TEST(result.errors[0].line == 2);
}

BOOST_AUTO_TEST_CASE(missing_file_is_one_diagnostic) {
  const auto result = load_job_file("/nonexistent/parallm/job.yaml");
  BOOST_TEST(!result.value.has_value());
  BOOST_TEST_REQUIRE(result.errors.size() == 1u);
  BOOST_TEST(result.errors[0].to_string() ==
             "/nonexistent/parallm/job.yaml: cannot read job file: No such file or directory");
}

BOOST_AUTO_TEST_CASE(a_directory_is_not_a_job_file) {
  const auto result = load_job_file(std::filesystem::temp_directory_path().string());
  BOOST_TEST_REQUIRE(result.errors.size() == 1u);
  BOOST_TEST(mentions(result.errors[0], "cannot read job file: Is a directory"));
}

BOOST_AUTO_TEST_CASE(a_provider_only_job_is_valid_only_when_nodes_are_optional) {
  const char* const yaml =
      "provider: { kind: openai, base_url: \"http://127.0.0.1:9/v1\", model: m }\n"
      "limits: { rpm: 600 }\n";
  const auto strict = parse_job(yaml, "batch.yaml");
  BOOST_TEST(!strict.value.has_value());
  BOOST_TEST(strict.errors.size() == 1u);
  BOOST_TEST(strict.errors.at(0).field == "nodes");
  const auto lenient = parse_job(yaml, "batch.yaml", {}, job_load_options{true});
  BOOST_REQUIRE(lenient.value.has_value());
  BOOST_TEST(lenient.value->nodes.empty());
  BOOST_TEST(lenient.value->output.empty());
  BOOST_TEST(lenient.value->limits.rpm == 600.0);
  BOOST_TEST(lenient.value->provider.base_url == "http://127.0.0.1:9/v1");
}

namespace {

// A job directory of its own under the temp directory, removed at the end of the case.
struct job_dir {
  std::filesystem::path root = std::filesystem::temp_directory_path() /
                               ("parallm_config_test_" + std::to_string(::getpid()));
  job_dir() { std::filesystem::create_directories(root / "jobs"); }
  ~job_dir() { std::filesystem::remove_all(root); }
  std::filesystem::path write(const std::string& relative, const std::string& text) const {
    const auto path = root / relative;
    std::ofstream(path) << text;
    return path;
  }
};

const char* const k_https_job =
    "provider: { kind: openai, model: m, base_url: \"https://127.0.0.1:9/v1\", ca_file: %s }\n"
    "nodes: { a: { prompt: hi } }\n";

std::string https_job(const std::string& ca_file) {
  std::string text = k_https_job;
  text.replace(text.find("%s"), 2, ca_file);
  return text;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_relative_ca_file_is_found_beside_the_job_file) {
  const job_dir dir;
  dir.write("jobs/ca.pem", "-----BEGIN CERTIFICATE-----\n");
  const auto job_path = dir.write("jobs/job.yaml", https_job("ca.pem"));
  const auto result = load_job_file(job_path.string());
  BOOST_TEST_REQUIRE(result.errors.empty());
  BOOST_TEST(result.value->provider.ca_file == (dir.root / "jobs" / "ca.pem").string());
}

BOOST_AUTO_TEST_CASE(a_missing_ca_file_is_an_error_naming_the_path_looked_at) {
  const job_dir dir;
  const auto job_path = dir.write("jobs/job.yaml", https_job("nowhere.pem"));
  const auto result = load_job_file(job_path.string());
  BOOST_TEST(!result.value.has_value());
  const auto& error = error_at(result, "provider.ca_file");
  BOOST_TEST(error.line == 1);
  BOOST_TEST(mentions(error, "no such file: " + (dir.root / "jobs" / "nowhere.pem").string()));
  BOOST_TEST(mentions(error_at(parse(https_job("\"\"")), "provider.ca_file"), "PEM file"));
}

BOOST_AUTO_TEST_CASE(a_coordinator_reads_a_ca_file_path_for_the_workers_without_looking_for_it) {
  // The job as a client sent it: its path anchors relative paths, the file is on the workers.
  const std::string job_path = "/on/the/client/jobs/job.yaml";
  job_load_options remote;
  remote.local_files = false;
  const auto result = parse_job(https_job("ca.pem"), job_path, {}, remote);
  BOOST_TEST_REQUIRE(result.errors.empty());
  BOOST_TEST(result.value->provider.ca_file == "/on/the/client/jobs/ca.pem");
  // Where the files are on this host, a missing one is still an error.
  BOOST_TEST(!parse_job(https_job("ca.pem"), job_path).errors.empty());
}

BOOST_AUTO_TEST_CASE(a_ca_file_from_set_is_relative_to_the_current_directory) {
  const job_dir dir;
  dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  const auto job_path = dir.write(
      "jobs/job.yaml", "provider: { kind: openai, model: m }\nnodes: { a: { prompt: hi } }\n");
  const auto before = std::filesystem::current_path();
  std::filesystem::current_path(dir.root);
  const auto result = load_job_file(job_path.string(), {"provider.ca_file=ca.pem"});
  std::filesystem::current_path(before);
  BOOST_TEST_REQUIRE(result.errors.empty());
  BOOST_TEST(result.value->provider.ca_file == (dir.root / "ca.pem").string());
}

BOOST_AUTO_TEST_CASE(ca_file_is_for_http_providers_only) {
  const auto result = parse("provider: { ca_file: /etc/hostname }\nnodes: { a: { prompt: hi } }\n");
  BOOST_TEST(mentions(error_at(result, "provider.ca_file"), "only for kind: openai or anthropic"));
}
