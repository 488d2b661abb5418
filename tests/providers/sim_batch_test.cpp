#define BOOST_TEST_MODULE sim_batch
#include <boost/test/unit_test.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "providers/sim_batch.hpp"

using nlohmann::json;
using parallm::config::sim_failure;
using parallm::config::sim_options;
using parallm::providers::outcome_kind;
using parallm::providers::sim_batch_call;

BOOST_TEST_DONT_PRINT_LOG_VALUE(parallm::providers::outcome_kind)

namespace {

const std::string body =
    R"({"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},)"
    R"({"role":"user","content":"Name a colour"}],"max_tokens":50})";

}  // namespace

BOOST_AUTO_TEST_CASE(a_batch_body_is_answered_with_a_chat_completion_envelope) {
  const auto answer = sim_batch_call(sim_options{}, body, 1);
  BOOST_TEST((answer.outcome.kind == outcome_kind::ok));
  const auto envelope = json::parse(answer.outcome.text);
  BOOST_TEST(envelope["status_code"] == 200);
  BOOST_TEST(envelope["request_id"].get<std::string>().rfind("req_sim_", 0) == 0u);
  const auto& completion = envelope["body"];
  BOOST_TEST(completion["object"] == "chat.completion");
  BOOST_TEST(completion["model"] == "gpt-4o-mini");
  BOOST_REQUIRE(completion["choices"].size() == 1u);
  const auto& choice = completion["choices"][0];
  BOOST_TEST(choice["message"]["role"] == "assistant");
  const auto content = choice["message"]["content"].get<std::string>();
  BOOST_TEST(content.find("Name a colour") != std::string::npos);
  BOOST_TEST(choice["finish_reason"] == "stop");
  const auto& usage = completion["usage"];
  BOOST_TEST(usage["prompt_tokens"] == answer.outcome.prompt_tokens);
  BOOST_TEST(usage["completion_tokens"] == answer.outcome.completion_tokens);
  BOOST_TEST(usage["total_tokens"] ==
             answer.outcome.prompt_tokens + answer.outcome.completion_tokens);
  BOOST_TEST(answer.outcome.finish_reason == "stop");
  // Deterministic, so a dry run is repeatable.
  BOOST_TEST(sim_batch_call(sim_options{}, body, 1).outcome.text == answer.outcome.text);
}

BOOST_AUTO_TEST_CASE(max_tokens_and_n_are_honoured) {
  const auto cut = sim_batch_call(
      sim_options{},
      R"({"messages":[{"role":"user","content":"one two three four five"}],"max_completion_tokens":2,"n":3})",
      1);
  const auto completion = json::parse(cut.outcome.text)["body"];
  BOOST_TEST(completion["model"] == "sim");
  BOOST_REQUIRE(completion["choices"].size() == 3u);
  for (const auto& choice : completion["choices"]) BOOST_TEST(choice["finish_reason"] == "length");
  BOOST_TEST(completion["usage"]["completion_tokens"] == 6);
  BOOST_TEST(cut.outcome.finish_reason == "length");
}

BOOST_AUTO_TEST_CASE(content_parts_are_read_as_the_prompt) {
  const auto answer = sim_batch_call(
      sim_options{},
      R"({"messages":[{"role":"user","content":[{"type":"text","text":"describe this"}]}]})", 1);
  const auto content = json::parse(answer.outcome.text)["body"]["choices"][0]["message"]["content"];
  BOOST_TEST(content.get<std::string>().find("describe this") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(injected_failures_stay_retryable) {
  sim_options options;
  options.fail_rate = 1;
  options.fail_status = sim_failure::http_429;
  const auto answer = sim_batch_call(options, body, 1);
  BOOST_TEST((answer.outcome.kind == outcome_kind::retryable));
  BOOST_TEST(answer.outcome.http_status == 429);
}

BOOST_AUTO_TEST_CASE(a_body_that_is_no_object_is_answered_400) {
  const auto answer = sim_batch_call(sim_options{}, "not json", 1);
  BOOST_TEST((answer.outcome.kind == outcome_kind::ok));
  const auto envelope = json::parse(answer.outcome.text);
  BOOST_TEST(envelope["status_code"] == 400);
  BOOST_TEST(envelope["body"]["error"]["message"].get<std::string>().find("sim") == 0u);
}
