#define BOOST_TEST_MODULE wire_convert
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actors/messages.hpp"
#include "nodes/wire_codec.hpp"
#include "nodes/wire_convert.hpp"

using namespace parallm;
using namespace std::chrono_literals;
using nodes::convert_error;
using nodes::convert_failure;

namespace {

// What the receiver gets: the message through the real codec, as bytes.
template <class T>
T through_bytes(T m) {
  const auto r = nodes::decode(nodes::encode(std::move(m)));
  BOOST_TEST_REQUIRE(r.has_value());
  return std::get<T>(r.value());
}

flow::call_profile full_profile() {
  flow::call_profile p;
  p.endpoint.kind = config::provider_kind::anthropic;
  p.endpoint.base_url = "https://api.anthropic.com";
  p.endpoint.model = "claude";
  p.endpoint.api_key_env = "ANTHROPIC_KEY";
  p.endpoint.anthropic_version = "2023-06-01";
  p.endpoint.require_content = true;
  p.endpoint.supports_n = true;
  p.endpoint.ca_file = "/etc/ca.pem";
  p.endpoint.sim.latency_ms = 12.5;
  p.endpoint.sim.jitter_ms = 2;
  p.endpoint.sim.fail_rate = 0.25;
  p.endpoint.sim.fail_status = config::sim_failure::http_500;
  p.endpoint.sim.choices = {"yes", "no"};
  p.endpoint.sim.weights = {0.75, 0.25};
  p.endpoint.sim.seed = 42;
  p.endpoint.params = {{"top_k", 5}};
  p.temperature = 0.7;
  p.max_tokens = 512;
  p.params = {{"stop", {"\n"}}};
  p.passthrough = true;
  p.timeout = 90s;
  return p;
}

actors::task full_task(std::uint64_t counter, std::uint32_t profile) {
  return {{99, 2, counter}, 3, 4, profile, 5, "prompt " + std::to_string(counter), "system", 6};
}

actors::attempt_result full_result() {
  actors::attempt_result r;
  r.key = {99, 2, 17};
  r.attempt = 3;
  r.generation = 2;
  r.outcome.kind = providers::outcome_kind::final;
  r.outcome.text = "an answer";
  r.outcome.more_texts = {"two", "three"};
  r.outcome.error = "HTTP 400";
  r.outcome.finish_reason = "content_filter";
  r.outcome.http_status = 400;
  r.outcome.prompt_tokens = 123;
  r.outcome.completion_tokens = 45;
  r.outcome.retry_after = 2500ms;
  r.latency_ms = 312.5;
  r.rate.limit_requests = 1000;
  r.rate.remaining_requests = 998;
  r.rate.reset_requests = 60000ms;
  r.rate.limit_tokens = 80000;
  r.rate.remaining_tokens = 79000.5;
  r.rate.reset_tokens = 1500ms;
  r.rate.reset_requests_header = "anthropic-ratelimit-requests-reset";
  r.rate.reset_tokens_header = "anthropic-ratelimit-tokens-reset";
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(round_trip)

BOOST_AUTO_TEST_CASE(a_profile_table_keeps_every_field) {
  const auto table =
      std::make_shared<const std::vector<flow::call_profile>>(std::vector{full_profile(), {}});
  const auto back =
      nodes::from_wire(through_bytes(nodes::to_wire(actors::batch_profiles{8, table})));
  BOOST_TEST(back.batch == 8u);
  BOOST_TEST_REQUIRE(back.profiles);
  BOOST_TEST_REQUIRE(back.profiles->size() == 2u);
  const auto& got = back.profiles->at(0);
  const auto want = full_profile();
  BOOST_TEST((got.endpoint.kind == config::provider_kind::anthropic));
  BOOST_TEST(got.endpoint.base_url == want.endpoint.base_url);
  BOOST_TEST(got.endpoint.model == "claude");
  BOOST_TEST(got.endpoint.api_key_env == "ANTHROPIC_KEY");
  BOOST_TEST(got.endpoint.anthropic_version == "2023-06-01");
  BOOST_TEST(got.endpoint.require_content);
  BOOST_TEST(got.endpoint.supports_n);
  BOOST_TEST(got.endpoint.ca_file == "/etc/ca.pem");
  BOOST_TEST(got.endpoint.sim.latency_ms == 12.5);
  BOOST_TEST(got.endpoint.sim.jitter_ms == 2);
  BOOST_TEST(got.endpoint.sim.fail_rate == 0.25);
  BOOST_TEST((got.endpoint.sim.fail_status == config::sim_failure::http_500));
  BOOST_TEST(got.endpoint.sim.choices == want.endpoint.sim.choices);
  BOOST_TEST(got.endpoint.sim.weights == want.endpoint.sim.weights);
  BOOST_TEST(got.endpoint.sim.seed == 42u);
  BOOST_TEST(got.endpoint.params == want.endpoint.params);
  BOOST_TEST(got.temperature.value() == 0.7);
  BOOST_TEST(got.max_tokens.value() == 512);
  BOOST_TEST(got.params == want.params);
  BOOST_TEST(got.passthrough);
  BOOST_TEST(got.timeout.count() == 90000);
  // The defaults come back as defaults: no temperature, no max_tokens, empty params.
  const auto& plain = back.profiles->at(1);
  BOOST_TEST(!plain.temperature);
  BOOST_TEST(!plain.max_tokens);
  BOOST_TEST(plain.params == nlohmann::json::object());
  BOOST_TEST(plain.timeout.count() == 60000);
}

BOOST_AUTO_TEST_CASE(a_batch_without_a_table_sends_no_profiles) {
  BOOST_TEST(nodes::to_wire(actors::batch_profiles{3, nullptr}).profiles.size() == 0u);
}

BOOST_AUTO_TEST_CASE(a_timeout_beyond_the_wire_saturates) {
  auto p = full_profile();
  p.timeout = std::chrono::hours(24 * 60);
  BOOST_TEST(nodes::to_wire(p).timeout_ms == 4294967295u);
  p.timeout = -5ms;
  BOOST_TEST(nodes::to_wire(p).timeout_ms == 0u);
}

BOOST_AUTO_TEST_CASE(tasks_keep_every_field) {
  actors::task_batch sent{{full_task(1, 0), full_task(2, 1)}};
  const auto r = nodes::from_wire(through_bytes(nodes::to_wire(sent)), {{2, 2}});
  BOOST_TEST_REQUIRE(r.has_value());
  const auto& got = r.value().tasks;
  BOOST_TEST_REQUIRE(got.size() == 2u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    BOOST_TEST((got[i].key == actors::task_key{99, 2, i + 1}));
    BOOST_TEST(got[i].attempt == 3u);
    BOOST_TEST(got[i].generation == 4u);
    BOOST_TEST(got[i].profile == i);
    BOOST_TEST(got[i].element == 5u);
    BOOST_TEST(got[i].prompt == "prompt " + std::to_string(i + 1));
    BOOST_TEST(got[i].system == "system");
    BOOST_TEST(got[i].count == 6u);
  }
}

BOOST_AUTO_TEST_CASE(results_keep_every_field) {
  actors::result_batch sent{{full_result(), actors::attempt_result{}}};
  const auto r = nodes::from_wire(through_bytes(nodes::to_wire(sent)));
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST_REQUIRE(r.value().results.size() == 2u);
  const auto& got = r.value().results[0];
  BOOST_TEST((got.key == actors::task_key{99, 2, 17}));
  BOOST_TEST(got.attempt == 3u);
  BOOST_TEST(got.generation == 2u);
  BOOST_TEST((got.outcome.kind == providers::outcome_kind::final));
  BOOST_TEST(got.outcome.text == "an answer");
  BOOST_TEST(got.outcome.more_texts == std::vector<std::string>({"two", "three"}));
  BOOST_TEST(got.outcome.error == "HTTP 400");
  BOOST_TEST(got.outcome.finish_reason == "content_filter");
  BOOST_TEST(got.outcome.http_status == 400);
  BOOST_TEST(got.outcome.prompt_tokens == 123u);
  BOOST_TEST(got.outcome.completion_tokens == 45u);
  BOOST_TEST(got.outcome.retry_after.value().count() == 2500);
  BOOST_TEST(got.latency_ms == 312.5);
  BOOST_TEST(got.rate.limit_requests.value() == 1000);
  BOOST_TEST(got.rate.remaining_requests.value() == 998);
  BOOST_TEST(got.rate.reset_requests.value().count() == 60000);
  BOOST_TEST(got.rate.limit_tokens.value() == 80000);
  BOOST_TEST(got.rate.remaining_tokens.value() == 79000.5);
  BOOST_TEST(got.rate.reset_tokens.value().count() == 1500);
  BOOST_TEST(got.rate.reset_requests_header == "anthropic-ratelimit-requests-reset");
  BOOST_TEST(got.rate.reset_tokens_header == "anthropic-ratelimit-tokens-reset");
  // A bare result: ok, no retry_after, no rate headers, OpenAI's header names.
  const auto& bare = r.value().results[1];
  BOOST_TEST((bare.outcome.kind == providers::outcome_kind::ok));
  BOOST_TEST(!bare.outcome.retry_after);
  BOOST_TEST(bare.rate.empty());
  BOOST_TEST(bare.rate.reset_requests_header == "x-ratelimit-reset-requests");
  BOOST_TEST(bare.rate.reset_tokens_header == "x-ratelimit-reset-tokens");
}

BOOST_AUTO_TEST_CASE(empty_frames_convert_to_empty_batches) {
  BOOST_TEST(nodes::from_wire(nodes::task_frame{}, {}).value().tasks.size() == 0u);
  BOOST_TEST(nodes::from_wire(nodes::result_frame{}).value().results.size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

// Values the codec accepts, since they are in range for their types, but that the receiver
// refuses: each goes through the bytes first, and the failure names the entry at fault.
BOOST_AUTO_TEST_SUITE(refusals)

namespace {

convert_failure task_failure(actors::task bad, const nodes::profile_counts& counts) {
  actors::task_batch sent{{full_task(1, 0), std::move(bad)}};
  const auto r = nodes::from_wire(through_bytes(nodes::to_wire(std::move(sent))), counts);
  BOOST_TEST_REQUIRE(!r.has_value());
  return r.error();
}

convert_failure result_failure(actors::attempt_result bad) {
  actors::result_batch sent{{full_result(), full_result(), std::move(bad)}};
  const auto r = nodes::from_wire(through_bytes(nodes::to_wire(std::move(sent))));
  BOOST_TEST_REQUIRE(!r.has_value());
  return r.error();
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_task_of_a_batch_without_profiles) {
  auto bad = full_task(2, 0);
  bad.key.batch = 3;
  BOOST_TEST((task_failure(bad, {{2, 1}}) == convert_failure{convert_error::unknown_batch, 1}));
  // No profiles at all: the first task is already at fault.
  BOOST_TEST(
      (task_failure(full_task(2, 0), {}) == convert_failure{convert_error::unknown_batch, 0}));
}

BOOST_AUTO_TEST_CASE(a_profile_index_past_the_table) {
  BOOST_TEST((task_failure(full_task(2, 2), {{2, 2}}) ==
              convert_failure{convert_error::profile_out_of_range, 1}));
  BOOST_TEST((task_failure(full_task(2, 0xffffffffu), {{2, 2}}) ==
              convert_failure{convert_error::profile_out_of_range, 1}));
  // A batch whose table came empty has no profile to name.
  BOOST_TEST((task_failure(full_task(2, 0), {{2, 0}}) ==
              convert_failure{convert_error::profile_out_of_range, 0}));
}

BOOST_AUTO_TEST_CASE(a_task_for_no_choices_or_attempt_zero) {
  auto no_choices = full_task(2, 1);
  no_choices.count = 0;
  BOOST_TEST((task_failure(no_choices, {{2, 2}}) == convert_failure{convert_error::zero_count, 1}));
  auto attempt_zero = full_task(2, 1);
  attempt_zero.attempt = 0;
  BOOST_TEST(
      (task_failure(attempt_zero, {{2, 2}}) == convert_failure{convert_error::zero_attempt, 1}));
}

BOOST_AUTO_TEST_CASE(a_result_for_attempt_zero_or_with_a_negative_latency) {
  auto attempt_zero = full_result();
  attempt_zero.attempt = 0;
  BOOST_TEST((result_failure(attempt_zero) == convert_failure{convert_error::zero_attempt, 2}));
  auto negative = full_result();
  negative.latency_ms = -0.5;
  BOOST_TEST((result_failure(negative) == convert_failure{convert_error::negative_latency, 2}));
}

BOOST_AUTO_TEST_CASE(every_error_has_a_name) {
  for (std::size_t i = 0; i < nodes::convert_error_count; ++i) {
    BOOST_TEST(nodes::to_string(static_cast<convert_error>(i)) != "unknown");
  }
  BOOST_TEST(nodes::to_string(convert_error::profile_out_of_range) == "profile_out_of_range");
}

BOOST_AUTO_TEST_SUITE_END()
