#define BOOST_TEST_MODULE config_job_errors
#include <boost/test/unit_test.hpp>

#include "config_test_support.hpp"

using namespace parallm::config;
using parallm::config::testing::all_errors;
using parallm::config::testing::error_at;
using parallm::config::testing::mentions;
using parallm::config::testing::parse;

namespace {

const std::string k_nodes = "nodes:\n  a: { prompt: hi }\n";

void check_place(const diagnostic& d, int line, int column) {
  BOOST_TEST(d.file == "job.yaml");
  BOOST_TEST(d.line == line);
  BOOST_TEST(d.column == column);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(document)

BOOST_AUTO_TEST_CASE(yaml_syntax_error_is_one_located_diagnostic) {
  const auto result = parse("nodes:\n  a: { prompt: hi\n  b: [\n");
  BOOST_TEST(!result.value.has_value());
  BOOST_TEST_REQUIRE(result.errors.size() == 1u);
  BOOST_TEST(result.errors[0].file == "job.yaml");
  BOOST_TEST(result.errors[0].line > 0);
  BOOST_TEST(result.errors[0].column > 0);
  BOOST_TEST(result.errors[0].field.empty());
  BOOST_TEST(mentions(result.errors[0], "YAML syntax error"));
}

BOOST_AUTO_TEST_CASE(empty_file_asks_for_nodes) {
  const auto result = parse("");
  BOOST_TEST_REQUIRE(result.errors.size() == 1u);
  BOOST_TEST(mentions(result.errors[0], "empty"));
  BOOST_TEST(mentions(result.errors[0], "nodes:"));
}

BOOST_AUTO_TEST_CASE(document_that_is_not_a_map) {
  const auto result = parse("- a\n- b\n");
  BOOST_TEST_REQUIRE(result.errors.size() == 1u);
  BOOST_TEST(mentions(result.errors[0], "expected a map of job settings"));
  BOOST_TEST(mentions(result.errors[0], "got a list"));
  check_place(result.errors[0], 1, 1);
}

BOOST_AUTO_TEST_CASE(unknown_top_level_key_suggests_and_lists) {
  const auto d = error_at(parse(k_nodes + "outptu: a\n"), "outptu");
  check_place(d, 3, 1);
  BOOST_TEST(mentions(d, "unknown key 'outptu'"));
  BOOST_TEST(mentions(d, "did you mean 'output'?"));
  BOOST_TEST(mentions(d, "version, name, provider, limits, nodes, output"));
}

BOOST_AUTO_TEST_CASE(duplicate_key_is_reported) {
  const auto d = error_at(parse("name: x\nname: y\n" + k_nodes), "name");
  check_place(d, 2, 1);
  BOOST_TEST(mentions(d, "duplicate key 'name'"));
}

BOOST_AUTO_TEST_CASE(unsupported_version) {
  const auto d = error_at(parse("version: 2\n" + k_nodes), "version");
  check_place(d, 1, 10);
  BOOST_TEST(d.message == "version 2 is not supported (expected 1)");
}

BOOST_AUTO_TEST_CASE(name_must_be_a_string) {
  const auto d = error_at(parse("name: [a]\n" + k_nodes), "name");
  BOOST_TEST(d.message == "expected a string, got a list");
}

BOOST_AUTO_TEST_CASE(missing_nodes_points_at_the_document) {
  const auto d = error_at(parse("name: x\n"), "nodes");
  check_place(d, 1, 1);
  BOOST_TEST(mentions(d, "missing required key 'nodes'"));
}

BOOST_AUTO_TEST_CASE(empty_nodes) {
  const auto d = error_at(parse("nodes: {}\n"), "nodes");
  BOOST_TEST(mentions(d, "expected at least one node"));
}

BOOST_AUTO_TEST_CASE(nodes_must_be_a_map) {
  const auto d = error_at(parse("nodes: [a, b]\n"), "nodes");
  check_place(d, 1, 8);
  BOOST_TEST(d.message == "expected a map, got a list");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(provider)

BOOST_AUTO_TEST_CASE(unknown_kind_lists_the_kinds) {
  const auto d = error_at(parse("provider: { kind: gemini }\n" + k_nodes), "provider.kind");
  check_place(d, 1, 19);
  BOOST_TEST(d.message == "unknown provider kind 'gemini' (expected sim, openai or anthropic)");
}

BOOST_AUTO_TEST_CASE(missing_model_points_at_the_provider_map) {
  const auto d = error_at(parse("provider:\n  kind: openai\n" + k_nodes), "provider.model");
  check_place(d, 2, 3);
  BOOST_TEST(mentions(d, "missing required key 'model' for kind: openai"));
}

BOOST_AUTO_TEST_CASE(base_url_needs_a_scheme) {
  const auto d =
      error_at(parse("provider: { kind: openai, model: m, base_url: api.example.com }\n" + k_nodes),
               "provider.base_url");
  BOOST_TEST(mentions(d, "expected a URL starting with http:// or https://"));
  BOOST_TEST(mentions(d, "api.example.com"));
}

BOOST_AUTO_TEST_CASE(a_bad_base_url_is_echoed_without_its_password) {
  const auto d = error_at(
      parse("provider: { kind: openai, model: m, base_url: 'ftp://me:hunter22@proxy/v1' }\n" +
            k_nodes),
      "provider.base_url");
  BOOST_TEST(mentions(d, "got 'ftp://me:***@proxy/v1'"), d.message);
  BOOST_TEST(!mentions(d, "hunter22"));
}

BOOST_AUTO_TEST_CASE(api_key_pasted_as_variable_is_not_echoed) {
  const std::string key = "sk-proj-abc123SECRET";
  const auto result =
      parse("provider: { kind: openai, model: m, api_key_env: " + key + " }\n" + k_nodes);
  const auto d = error_at(result, "provider.api_key_env");
  BOOST_TEST(mentions(d, "api_key_env must name an environment variable, not hold a key"));
  BOOST_TEST(all_errors(result).find("SECRET") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(sim_only_keys_on_a_hosted_kind) {
  const auto d =
      error_at(parse("provider:\n  kind: anthropic\n  model: m\n  fail_rate: 0.5\n" + k_nodes),
               "provider.fail_rate");
  check_place(d, 4, 3);
  BOOST_TEST(mentions(d, "only for kind: sim"));
}

BOOST_AUTO_TEST_CASE(hosted_keys_on_sim_and_anthropic_keys_on_openai) {
  const auto result = parse(
      "provider: { base_url: http://x }\nnodes:\n  a:\n    prompt: hi\n    provider: { kind: "
      "openai, model: m, anthropic_version: v }\n");
  BOOST_TEST(mentions(error_at(result, "provider.base_url"), "only for kind: openai or anthropic"));
  BOOST_TEST(
      mentions(error_at(result, "nodes.a.provider.anthropic_version"), "only for kind: anthropic"));
}

BOOST_AUTO_TEST_CASE(supports_n_only_on_openai_and_only_a_boolean) {
  const auto result = parse(
      "provider: { kind: anthropic, model: m, supports_n: true }\nnodes:\n  a:\n    prompt: hi\n"
      "    provider: { kind: openai, model: m, supports_n: sometimes }\n");
  const auto anthropic = error_at(result, "provider.supports_n");
  check_place(anthropic, 1, 40);
  BOOST_TEST(mentions(anthropic, "only for kind: openai, not kind: anthropic"));
  BOOST_TEST(mentions(error_at(result, "nodes.a.provider.supports_n"),
                      "expected true or false, got 'sometimes'"));
  BOOST_TEST(mentions(
      error_at(parse("provider: { supports_n: false }\n" + k_nodes), "provider.supports_n"),
      "only for kind: openai, not kind: sim"));
}

BOOST_AUTO_TEST_CASE(unknown_provider_key) {
  const auto d = error_at(parse("provider: { modle: x }\n" + k_nodes), "provider.modle");
  BOOST_TEST(mentions(d, "did you mean 'model'?"));
  BOOST_TEST(mentions(d, "allowed keys: kind, model, params, latency_ms"));
}

BOOST_AUTO_TEST_CASE(sim_values_out_of_range) {
  const auto result = parse(R"(provider:
  fail_rate: 1.5
  fail_status: 503
  latency_ms: -1
  seed: -3
  choices: [a, b]
  weights: [1]
)" + k_nodes);
  BOOST_TEST(error_at(result, "provider.fail_rate").message ==
             "expected a number from 0 to 1, got '1.5'");
  BOOST_TEST(error_at(result, "provider.fail_status").message ==
             "expected 429, 500 or timeout, got '503'");
  BOOST_TEST(error_at(result, "provider.latency_ms").message ==
             "expected a number from 0 to 3600000, got '-1'");
  BOOST_TEST(mentions(error_at(result, "provider.seed"), "expected a non-negative integer"));
  BOOST_TEST(error_at(result, "provider.weights").message ==
             "expected one weight per choice: 1 weights for 2 choices");
}

BOOST_AUTO_TEST_CASE(weights_must_not_be_negative_or_all_zero) {
  const auto negative = parse("provider: { choices: [a, b], weights: [1, -1] }\n" + k_nodes);
  BOOST_TEST(mentions(error_at(negative, "provider.weights[1]"), "at least 0"));
  const auto zero = parse("provider: { choices: [a, b], weights: [0, 0] }\n" + k_nodes);
  BOOST_TEST(mentions(error_at(zero, "provider.weights"), "sum to more than 0"));
}

BOOST_AUTO_TEST_CASE(node_override_switching_kind_must_name_a_model) {
  const auto d = error_at(parse("nodes:\n  a:\n    prompt: hi\n    provider: { kind: openai }\n"),
                          "nodes.a.provider.model");
  check_place(d, 4, 15);
  BOOST_TEST(mentions(d, "missing required key 'model'"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(limits)

BOOST_AUTO_TEST_CASE(type_error_names_field_and_value) {
  const auto d = error_at(parse("limits:\n  concurrency: abc\n" + k_nodes), "limits.concurrency");
  BOOST_TEST(d.to_string() == "job.yaml:2:16: limits.concurrency: expected an integer, got 'abc'");
}

BOOST_AUTO_TEST_CASE(negative_and_zero_limits) {
  const auto result = parse(R"(limits:
  concurrency: 0
  rpm: -5
  tpm: -1
  timeout_s: 0
  max_retries: -1
  backoff_initial_s: 0
  window: -2
)" + k_nodes);
  BOOST_TEST(error_at(result, "limits.concurrency").message ==
             "expected an integer of at least 1, got '0'");
  BOOST_TEST(error_at(result, "limits.rpm").message ==
             "expected a number from 0 to 1000000000000, got '-5'");
  BOOST_TEST(mentions(error_at(result, "limits.tpm"), "from 0 to"));
  BOOST_TEST(error_at(result, "limits.timeout_s").message ==
             "expected a number greater than 0 and at most 604800, got '0'");
  BOOST_TEST(mentions(error_at(result, "limits.max_retries"), "at least 0"));
  BOOST_TEST(mentions(error_at(result, "limits.backoff_initial_s"), "greater than 0"));
  BOOST_TEST(mentions(error_at(result, "limits.window"), "at least 0"));
  BOOST_TEST(result.errors.size() == 7u);
}

BOOST_AUTO_TEST_CASE(integer_too_large_for_its_field) {
  const auto d = error_at(parse("limits: { window: 99999999999 }\n" + k_nodes), "limits.window");
  BOOST_TEST(d.message == "expected an integer from 0 to 100000000, got '99999999999'");
}

// Every number a job controls has an upper bound, so that none can overflow what it becomes
// (milliseconds, connections, a window of items); each error is located and names its field.
BOOST_AUTO_TEST_CASE(numbers_beyond_their_bounds_are_located_errors) {
  const auto result = parse(R"(limits:
  concurrency: 1000000
  timeout_s: 1e300
  backoff_initial_s: 1e300
  backoff_max_s: -1
  window: 2000000000
  max_retries: 100000
  rpm: 1e300
  tpm: 1e300
  abort_after_failures: -1
  max_response_bytes: 1e300
)" + k_nodes);
  const auto concurrency = error_at(result, "limits.concurrency");
  BOOST_TEST(concurrency.to_string() ==
             "job.yaml:2:16: limits.concurrency: expected an integer from 1 to 100000, got "
             "'1000000'");
  BOOST_TEST(error_at(result, "limits.timeout_s").line == 3);
  BOOST_TEST(mentions(error_at(result, "limits.timeout_s"),
                      "expected a number greater than 0 and at most 604800"));
  BOOST_TEST(mentions(error_at(result, "limits.backoff_initial_s"), "at most 604800"));
  BOOST_TEST(mentions(error_at(result, "limits.backoff_max_s"), "got '-1'"));
  BOOST_TEST(mentions(error_at(result, "limits.window"), "from 0 to 100000000"));
  BOOST_TEST(mentions(error_at(result, "limits.max_retries"), "from 0 to 1000"));
  BOOST_TEST(mentions(error_at(result, "limits.rpm"), "to 1000000000000"));
  BOOST_TEST(mentions(error_at(result, "limits.tpm"), "to 1000000000000"));
  BOOST_TEST(mentions(error_at(result, "limits.abort_after_failures"), "at least 0"));
  BOOST_TEST(mentions(error_at(result, "limits.max_response_bytes"), "from 1024 to"));
  BOOST_TEST(result.errors.size() == 10u, all_errors(result));
}

BOOST_AUTO_TEST_CASE(concurrency_that_is_not_an_integer_is_a_located_error) {
  const auto d = error_at(parse("limits:\n  concurrency: 1e12\n" + k_nodes), "limits.concurrency");
  BOOST_TEST(d.line == 2);
}

BOOST_AUTO_TEST_CASE(sim_latency_has_an_upper_bound) {
  const auto d =
      error_at(parse("provider: { latency_ms: 1e300 }\n" + k_nodes), "provider.latency_ms");
  BOOST_TEST(mentions(d, "from 0 to 3600000"));
}

BOOST_AUTO_TEST_CASE(new_limits_have_defaults_and_read_back) {
  const auto defaults = parse(k_nodes);
  BOOST_TEST_REQUIRE(defaults.errors.empty(), all_errors(defaults));
  BOOST_TEST(defaults.value->limits.abort_after_failures == 20);
  BOOST_TEST(defaults.value->limits.max_response_bytes == 64u << 20);
  const auto set =
      parse("limits: { abort_after_failures: 0, max_response_bytes: 4096 }\n" + k_nodes);
  BOOST_TEST_REQUIRE(set.errors.empty(), all_errors(set));
  BOOST_TEST(set.value->limits.abort_after_failures == 0);
  BOOST_TEST(set.value->limits.max_response_bytes == 4096u);
}

BOOST_AUTO_TEST_CASE(fractional_integer_is_a_type_error) {
  const auto d = error_at(parse("limits: { max_retries: 2.5 }\n" + k_nodes), "limits.max_retries");
  BOOST_TEST(d.message == "expected an integer, got '2.5'");
}

BOOST_AUTO_TEST_CASE(backoff_max_below_initial) {
  const auto d = error_at(parse("limits: { backoff_initial_s: 5, backoff_max_s: 2 }\n" + k_nodes),
                          "limits.backoff_max_s");
  BOOST_TEST(mentions(d, "expected at least backoff_initial_s (5"));
}

BOOST_AUTO_TEST_CASE(limits_must_be_a_map_with_known_keys) {
  BOOST_TEST(error_at(parse("limits: 5\n" + k_nodes), "limits").message ==
             "expected a map, got '5'");
  const auto d = error_at(parse("limits: { concurency: 5 }\n" + k_nodes), "limits.concurency");
  BOOST_TEST(mentions(d, "did you mean 'concurrency'?"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(nodes)

BOOST_AUTO_TEST_CASE(node_names_must_be_identifiers_and_not_reserved) {
  const auto result = parse("nodes:\n  2nd: { prompt: hi }\n  item: { prompt: hi }\n");
  const auto bad = error_at(result, "nodes.2nd");
  check_place(bad, 2, 3);
  BOOST_TEST(mentions(bad, "is not a name"));
  const auto reserved = error_at(result, "nodes.item");
  check_place(reserved, 3, 3);
  BOOST_TEST(mentions(reserved, "reserved"));
}

BOOST_AUTO_TEST_CASE(node_must_be_a_map) {
  const auto d = error_at(parse("nodes:\n  a: Write a joke\n"), "nodes.a");
  BOOST_TEST(mentions(d, "expected a map of node settings"));
  BOOST_TEST(mentions(d, "got 'Write a joke'"));
}

BOOST_AUTO_TEST_CASE(missing_prompt_points_at_the_node_map) {
  const auto d = error_at(parse("nodes:\n  a:\n    system: be brief\n"), "nodes.a.prompt");
  check_place(d, 3, 5);
  BOOST_TEST(mentions(d, "missing required key 'prompt'"));
}

BOOST_AUTO_TEST_CASE(llm_values_out_of_range) {
  const auto result = parse(
      "nodes:\n  a: { prompt: hi, temperature: 3, max_tokens: 0, samples: 0, params: [x] }\n");
  BOOST_TEST(error_at(result, "nodes.a.temperature").message ==
             "expected a number from 0 to 2, got '3'");
  BOOST_TEST(mentions(error_at(result, "nodes.a.max_tokens"), "at least 1"));
  BOOST_TEST(mentions(error_at(result, "nodes.a.samples"), "at least 1"));
  BOOST_TEST(error_at(result, "nodes.a.params").message == "expected a map, got a list");
}

BOOST_AUTO_TEST_CASE(unknown_node_key_lists_llm_keys) {
  const auto d =
      error_at(parse("nodes:\n  a: { prompt: hi, temprature: 1 }\n"), "nodes.a.temprature");
  check_place(d, 2, 20);
  BOOST_TEST(mentions(d, "did you mean 'temperature'?"));
  BOOST_TEST(mentions(d, "prompt, system, temperature"));
}

BOOST_AUTO_TEST_CASE(foreach_with_samples_is_an_error) {
  const auto d = error_at(
      parse("nodes:\n  c: { split: doc }\n  s: { foreach: c, samples: 3, prompt: \"{{item}}\" }\n"),
      "nodes.s.samples");
  BOOST_TEST(mentions(d, "cannot be combined with foreach"));
}

BOOST_AUTO_TEST_CASE(min_success_needs_several_branches) {
  const auto single =
      error_at(parse("nodes:\n  a: { prompt: hi, min_success: 1 }\n"), "nodes.a.min_success");
  BOOST_TEST(single.message == "min_success applies only with samples > 1 or foreach");
  const auto larger = error_at(parse("nodes:\n  a: { prompt: hi, samples: 3, min_success: 4 }\n"),
                               "nodes.a.min_success");
  BOOST_TEST(larger.message == "min_success 4 is larger than the 3 samples");
  const auto zero = error_at(parse("nodes:\n  a: { prompt: hi, samples: 3, min_success: 0 }\n"),
                             "nodes.a.min_success");
  BOOST_TEST(mentions(zero, "at least 1"));
}

BOOST_AUTO_TEST_CASE(split_values) {
  const auto result = parse(R"(nodes:
  a: { split: doc, by: words }
  b: { split: doc, by: chars }
  c: { split: "two words", max_chars: -1 }
  d: { split: doc, prompt: hi }
)");
  BOOST_TEST(error_at(result, "nodes.a.by").message ==
             "expected paragraph, sentence or chars, got 'words'");
  BOOST_TEST(error_at(result, "nodes.b.by").message == "by: chars needs max_chars greater than 0");
  BOOST_TEST(mentions(error_at(result, "nodes.c.split"), "expected an input field"));
  BOOST_TEST(mentions(error_at(result, "nodes.c.max_chars"), "at least 0"));
  BOOST_TEST(mentions(error_at(result, "nodes.d.prompt"), "allowed keys: split, by, max_chars"));
}

BOOST_AUTO_TEST_CASE(unknown_reducer_lists_the_reducers) {
  const auto d = error_at(parse("nodes:\n  a: { prompt: hi }\n  b: { after: [a], reduce: sum }\n"),
                          "nodes.b.reduce");
  check_place(d, 3, 28);
  BOOST_TEST(d.message ==
             "unknown reducer 'sum' (expected one of: collect, concat, template, vote, max, min, "
             "first, llm)");
}

BOOST_AUTO_TEST_CASE(after_without_reduce_or_prompt) {
  const auto d = error_at(parse("nodes:\n  a: { prompt: hi }\n  b:\n    after: [a]\n"), "nodes.b");
  check_place(d, 4, 5);
  BOOST_TEST(mentions(d, "expected reduce: or prompt:"));
}

BOOST_AUTO_TEST_CASE(reduce_requires_after_and_reducer_fields) {
  const auto result = parse(R"(nodes:
  a: { prompt: hi }
  b: { reduce: concat }
  c: { after: [], reduce: collect }
  d: { after: [a], reduce: template }
  e: { after: [a], reduce: llm }
)");
  BOOST_TEST(mentions(error_at(result, "nodes.b.after"), "missing required key 'after'"));
  BOOST_TEST(error_at(result, "nodes.c.after").message == "expected at least one node name");
  BOOST_TEST(mentions(error_at(result, "nodes.d.template"), "missing required key 'template'"));
  BOOST_TEST(mentions(error_at(result, "nodes.e.prompt"), "missing required key 'prompt'"));
}

BOOST_AUTO_TEST_CASE(reducer_keys_belong_to_their_reducer) {
  const auto result = parse(R"(nodes:
  a: { prompt: hi, samples: 3 }
  b: { after: [a], reduce: vote, separator: ", ", temperature: 1, foreach: a }
)");
  BOOST_TEST(error_at(result, "nodes.b.separator").message ==
             "'separator' is only for reduce: concat, not reduce: vote");
  BOOST_TEST(mentions(error_at(result, "nodes.b.temperature"), "only for reduce: llm"));
  BOOST_TEST(mentions(error_at(result, "nodes.b.foreach"),
                      "allowed keys: reduce, after, min_success, quorum"));
}

BOOST_AUTO_TEST_CASE(quorum_must_be_positive) {
  const auto d = error_at(parse("nodes:\n  a: { prompt: hi, samples: 3 }\n  b: { after: [a], "
                                "reduce: vote, quorum: 0 }\n"),
                          "nodes.b.quorum");
  BOOST_TEST(mentions(d, "at least 1"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(every_error_of_a_file_is_reported) {
  const auto result = parse(R"(version: 3
limits:
  concurrency: -4
  rpm: lots
nodes:
  a: { prompt: hi, temperature: 9 }
  b: { after: [a, nope], reduce: vote }
  c: { after: [a], reduce: vote, quorum: 2 }
output: d
)");
  BOOST_TEST(!result.value.has_value());
  BOOST_TEST(result.errors.size() == 7u, all_errors(result));
  error_at(result, "version");
  error_at(result, "limits.concurrency");
  error_at(result, "limits.rpm");
  error_at(result, "nodes.a.temperature");
  error_at(result, "nodes.b.after[1]");
  error_at(result, "output");
  BOOST_TEST(error_at(result, "nodes.c.quorum").message == "quorum 2 is larger than the 1 branch");
}

BOOST_AUTO_TEST_CASE(require_content_is_an_http_provider_switch) {
  const auto ok = parse("provider: { kind: openai, model: m, require_content: true }\n" + k_nodes);
  BOOST_REQUIRE(ok.value.has_value());
  BOOST_TEST(ok.value->provider.require_content);
  BOOST_TEST(!parse("provider: { kind: anthropic, model: m }\n" + k_nodes)
                  .value->provider.require_content);
  const auto sim = parse("provider: { require_content: true }\n" + k_nodes);
  BOOST_TEST(!sim.value.has_value());
  BOOST_TEST(mentions(error_at(sim, "provider.require_content"), "not kind: sim"));
}
