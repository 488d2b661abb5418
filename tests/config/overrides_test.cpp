#define BOOST_TEST_MODULE config_overrides
#include <boost/test/unit_test.hpp>

#include "config_test_support.hpp"

using namespace parallm::config;
using parallm::config::testing::all_errors;
using parallm::config::testing::error_at;
using parallm::config::testing::mentions;
using parallm::config::testing::parse;
using parallm::config::testing::valid;

namespace {

const std::string k_job = R"(limits:
  concurrency: 4
nodes:
  poem: { prompt: "A poem about {{topic}}", temperature: 0.9 }
  note: { prompt: "A note on {{topic}}" }
)";

}  // namespace

BOOST_AUTO_TEST_CASE(overrides_replace_values_with_their_yaml_type) {
  const job j = valid(k_job, {"limits.concurrency=32", "nodes.poem.temperature=0.2", "name=nightly",
                              "output=poem"});
  BOOST_TEST(j.limits.concurrency == 32);
  BOOST_TEST(j.nodes[0].temperature.value() == 0.2);
  BOOST_TEST(j.name == "nightly");
  BOOST_TEST(j.output == "poem");
  BOOST_TEST(j.nodes[0].name == "poem");
  BOOST_TEST(j.nodes[1].name == "note");
}

BOOST_AUTO_TEST_CASE(overrides_create_missing_maps) {
  const job j = valid(k_job, {"provider.kind=openai", "provider.model=gpt-4o", "limits.rpm=600",
                              "nodes.poem.provider.model=gpt-4o-mini"});
  BOOST_TEST((j.provider.kind == provider_kind::openai));
  BOOST_TEST(j.provider.model == "gpt-4o");
  BOOST_TEST(j.limits.rpm == 600.0);
  BOOST_TEST(j.limits.concurrency == 4);
  BOOST_TEST(j.nodes[0].provider.value().model == "gpt-4o-mini");
  BOOST_TEST((j.nodes[0].provider.value().kind == provider_kind::openai));
}

BOOST_AUTO_TEST_CASE(overrides_add_nodes_and_lists) {
  const job j = valid(k_job, {"nodes.both.after=[poem, note]", "nodes.both.reduce=concat"});
  BOOST_TEST_REQUIRE(j.nodes.size() == 3u);
  BOOST_TEST(j.nodes[2].name == "both");
  BOOST_TEST(j.nodes[2].after == (std::vector<std::string>{"poem", "note"}),
             boost::test_tools::per_element());
  BOOST_TEST(j.output == "both");
}

BOOST_AUTO_TEST_CASE(later_override_wins_and_value_may_contain_equals) {
  const job j = valid(k_job, {"nodes.note.prompt=x", "nodes.note.prompt=a=b {{topic}}"});
  BOOST_TEST(j.nodes[1].prompt == "a=b {{topic}}");
}

BOOST_AUTO_TEST_CASE(overrides_build_a_job_from_an_empty_file) {
  const job j = valid("", {"nodes.a.prompt=hello"});
  BOOST_TEST(j.nodes.at(0).prompt == "hello");
}

BOOST_AUTO_TEST_CASE(key_without_equals) {
  const auto result = parse(k_job, {"limits.concurrency"});
  BOOST_TEST_REQUIRE(result.errors.size() == 1u);
  BOOST_TEST(result.errors[0].to_string() ==
             "--set: limits.concurrency: expected KEY=VALUE, e.g. limits.concurrency=32");
}

BOOST_AUTO_TEST_CASE(an_entry_without_equals_shows_only_its_head) {
  const auto result = parse(k_job, {"provider.api_key: sk-live-123", std::string(100, 'a')});
  BOOST_TEST_REQUIRE(result.errors.size() == 2u);
  BOOST_TEST(result.errors[0].to_string() ==
             "--set: provider.api_key: expected KEY=VALUE, e.g. limits.concurrency=32 (the rest "
             "of the entry is not shown)");
  BOOST_TEST(result.errors[1].field == std::string(64, 'a'));
  for (const auto& e : result.errors)
    BOOST_TEST(e.to_string().find("sk-live") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(empty_path_segments) {
  const auto result = parse(k_job, {"limits..rpm=3", ".name=x", "name.=x", "=5"});
  BOOST_TEST_REQUIRE(result.errors.size() == 4u, all_errors(result));
  for (const auto& e : result.errors) {
    BOOST_TEST(e.file == "--set");
    BOOST_TEST(e.line == 0);
    BOOST_TEST(mentions(e, "empty segment"));
  }
  BOOST_TEST(result.errors[0].field == "limits..rpm");
  BOOST_TEST(result.errors[3].field == "");
}

BOOST_AUTO_TEST_CASE(value_that_is_not_yaml) {
  const auto d = error_at(parse(k_job, {"nodes.poem.after=[a, b"}), "nodes.poem.after");
  BOOST_TEST(d.file == "--set");
  BOOST_TEST(mentions(d, "cannot read the value as YAML"));
}

BOOST_AUTO_TEST_CASE(path_through_a_scalar) {
  const auto d = error_at(parse(k_job, {"limits.concurrency.max=3"}), "limits.concurrency.max");
  BOOST_TEST(d.file == "--set");
  BOOST_TEST(d.message ==
             "cannot set a key inside 'limits.concurrency', which holds '4', not a map");
}

BOOST_AUTO_TEST_CASE(bad_values_are_reported_at_the_key_as_from_set) {
  const auto result = parse(k_job, {"limits.concurrency=abc", "nodes.poem.temperature=-1"});
  BOOST_TEST(result.errors.size() == 2u, all_errors(result));
  const auto concurrency = error_at(result, "limits.concurrency");
  BOOST_TEST(concurrency.to_string() ==
             "--set: limits.concurrency: expected an integer, got 'abc'");
  const auto temperature = error_at(result, "nodes.poem.temperature");
  BOOST_TEST(temperature.file == "--set");
  BOOST_TEST(temperature.line == 0);
  BOOST_TEST(mentions(temperature, "from 0 to 2"));
}

BOOST_AUTO_TEST_CASE(unknown_keys_set_by_override_are_reported) {
  const auto d = error_at(parse(k_job, {"limits.concurency=8"}), "limits.concurency");
  BOOST_TEST(d.line == 0);
  BOOST_TEST(mentions(d, "did you mean 'concurrency'?"));
}

BOOST_AUTO_TEST_CASE(values_from_the_file_keep_their_lines) {
  const auto result =
      parse("limits:\n  rpm: -1\n" + k_job.substr(k_job.find("nodes:")), {"limits.concurrency=0"});
  BOOST_TEST(error_at(result, "limits.rpm").line == 2);
  BOOST_TEST(error_at(result, "limits.concurrency").line == 0);
}

BOOST_AUTO_TEST_CASE(list_elements_set_by_override_have_no_line) {
  const auto d =
      error_at(parse(k_job, {"nodes.both.after=[poem, ghost]", "nodes.both.reduce=first"}),
               "nodes.both.after[1]");
  BOOST_TEST(d.line == 0);
  BOOST_TEST(mentions(d, "unknown node 'ghost' in after"));
}

BOOST_AUTO_TEST_CASE(text_that_reads_as_yaml_structure_names_set_and_suggests_quotes) {
  const auto d =
      error_at(parse(k_job, {"nodes.note.prompt=Summarize: {{topic}}"}), "nodes.note.prompt");
  BOOST_TEST(d.file == "--set");
  BOOST_TEST(d.line == 0);
  BOOST_TEST(mentions(d, "expected a string, got a map"));
  BOOST_TEST(mentions(d, "quote text values: --set 'nodes.note.prompt=\"...\"'"));
}

BOOST_AUTO_TEST_CASE(value_that_is_not_yaml_suggests_quotes) {
  const auto d = error_at(parse(k_job, {"nodes.poem.prompt=[a, b"}), "nodes.poem.prompt");
  BOOST_TEST(d.file == "--set");
  BOOST_TEST(mentions(d, "quote text values"));
}

BOOST_AUTO_TEST_SUITE(change_of_kind)

const std::string k_sim_job = R"(provider:
  kind: sim
  latency_ms: 20
  jitter_ms: 5
  model: sim-1
nodes:
  a: { prompt: "hi {{x}}" }
)";

BOOST_AUTO_TEST_CASE(setting_the_kind_drops_the_old_kinds_fields_with_one_note) {
  const auto result = parse(k_sim_job, {"provider.kind=openai", "provider.base_url=http://h:1/v1"});
  BOOST_TEST_REQUIRE(result.errors.empty(), all_errors(result));
  const auto& j = *result.value;
  BOOST_TEST((j.provider.kind == provider_kind::openai));
  BOOST_TEST(j.provider.base_url == "http://h:1/v1");
  BOOST_TEST(j.provider.model == "sim-1");
  BOOST_TEST_REQUIRE(result.notes.size() == 1u);
  BOOST_TEST(result.notes[0] ==
             "provider.kind=openai from the command line: ignoring the job's "
             "provider.latency_ms, provider.jitter_ms (not used by kind: openai)");
}

BOOST_AUTO_TEST_CASE(fields_set_after_the_kind_are_kept_and_checked) {
  const auto result = parse(k_sim_job, {"provider.kind=openai", "provider.latency_ms=5"});
  BOOST_TEST(mentions(error_at(result, "provider.latency_ms"), "only for kind: sim"));
}

BOOST_AUTO_TEST_CASE(same_kind_drops_nothing_and_file_errors_stay) {
  const auto result = parse(
      "provider: { kind: openai, model: m, latency_ms: 3 }\nnodes:\n"
      "  a: { prompt: hi }\n",
      {"provider.kind=openai"});
  BOOST_TEST(result.notes.empty());
  BOOST_TEST(error_at(result, "provider.latency_ms").line == 1);
}

BOOST_AUTO_TEST_CASE(node_providers_change_kind_too) {
  const auto result = parse(
      "nodes:\n  a:\n    prompt: hi\n    provider: { kind: openai, model: m, base_url: "
      "\"http://h:1\", supports_n: true }\n",
      {"nodes.a.provider.kind=sim"});
  BOOST_TEST_REQUIRE(result.errors.empty(), all_errors(result));
  BOOST_TEST((result.value->nodes[0].provider->kind == provider_kind::sim));
  BOOST_TEST_REQUIRE(result.notes.size() == 1u);
  BOOST_TEST(result.notes[0].find("nodes.a.provider.base_url, nodes.a.provider.supports_n") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(a_key_on_the_command_line_is_refused_without_echoing_it) {
  const std::string secret = "sk-canary-4f3e2d1c0b";
  for (const std::string key :
       {"provider.api_key", "provider.API-KEY", "provider.apikey", "nodes.poem.provider.api_key",
        "provider.token", "provider.secret_key", "provider.authorization"}) {
    const auto result = parse(k_job, {key + "=" + secret});
    BOOST_TEST_CONTEXT(key) {
      const auto d = error_at(result, key);
      BOOST_TEST(d.file == "--set");
      BOOST_TEST(mentions(d, "refusing a secret on the command line"));
      BOOST_TEST(mentions(d, "provider.api_key_env"));
      BOOST_TEST(all_errors(result).find(secret) == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(naming_the_key_variable_on_the_command_line_is_fine) {
  const job j =
      valid(k_job, {"provider.kind=openai", "provider.model=m", "provider.api_key_env=MY_KEY"});
  BOOST_TEST(j.provider.api_key_env == "MY_KEY");
}

BOOST_AUTO_TEST_CASE(a_key_deeper_than_any_field_is_refused_before_anything_is_made) {
  std::string deep = "nodes.poem.params";
  for (int i = 0; i < 29; ++i) deep += ".a";
  BOOST_TEST(parse(k_job, {deep + "=1"}).errors.empty());  // 32 segments: a params value
  std::string deeper = "nodes.poem.params";
  for (int i = 0; i < 100000; ++i) deeper += ".a";
  const auto result = parse(k_job, {deeper + "=1"});
  BOOST_TEST_REQUIRE(result.errors.size() == 1u, all_errors(result));
  BOOST_TEST(result.errors[0].file == "--set");
  BOOST_TEST(result.errors[0].field == deeper.substr(0, 64));
  BOOST_TEST(mentions(result.errors[0], "more than 32 segments"));
}
