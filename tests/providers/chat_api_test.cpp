#define BOOST_TEST_MODULE chat_api
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include "providers/chat_api.hpp"

using namespace parallm::providers;
using nlohmann::json;
using parallm::config::provider_kind;
using parallm::config::provider_spec;

namespace {

const std::string secret = "sk-test-SECRET-0123456789";
const std::chrono::system_clock::time_point now{std::chrono::seconds{1700000000}};

provider_spec openai() {
  provider_spec spec;
  spec.kind = provider_kind::openai;
  spec.base_url = "http://127.0.0.1:8080/v1";
  spec.model = "gpt-test";
  return spec;
}

provider_spec anthropic() {
  provider_spec spec;
  spec.kind = provider_kind::anthropic;
  spec.base_url = "https://api.anthropic.test/v1/";
  spec.model = "claude-test";
  return spec;
}

chat_call ask(std::string prompt) {
  chat_call call;
  call.prompt = std::move(prompt);
  return call;
}

http_response answer(long status, std::string body) {
  http_response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

bool has_header(const http_request& request, const std::string& header) {
  for (const auto& h : request.headers) {
    if (h == header) return true;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(openai_request_has_model_messages_and_options) {
  auto call = ask("hello");
  call.system = "be brief";
  call.temperature = 0.5;
  call.max_tokens = 7;
  const auto request = build_chat_request(openai(), call, secret, std::chrono::milliseconds(1500));
  BOOST_TEST(request.url == "http://127.0.0.1:8080/v1/chat/completions");
  BOOST_TEST(request.timeout.count() == 1500);
  const auto body = json::parse(request.body);
  BOOST_TEST(body["model"] == "gpt-test");
  BOOST_TEST(body["messages"].size() == 2u);
  BOOST_TEST(body["messages"][0] == (json{{"role", "system"}, {"content", "be brief"}}));
  BOOST_TEST(body["messages"][1] == (json{{"role", "user"}, {"content", "hello"}}));
  BOOST_TEST(body["temperature"] == 0.5);
  BOOST_TEST(body["max_tokens"] == 7);
  BOOST_TEST(has_header(request, "Content-Type: application/json"));
  BOOST_TEST(has_header(request, "Authorization: Bearer " + secret));
}

BOOST_AUTO_TEST_CASE(openai_request_leaves_out_what_is_unset) {
  const auto request = build_chat_request(openai(), ask("hi"), "", std::chrono::milliseconds(1));
  const auto body = json::parse(request.body);
  BOOST_TEST(body.size() == 2u);  // model and messages only
  BOOST_TEST(body["messages"].size() == 1u);
  BOOST_TEST(request.headers.size() == 1u);  // no Authorization without a key
}

BOOST_AUTO_TEST_CASE(provider_then_call_params_are_merged_last) {
  auto provider = openai();
  provider.params = {{"top_p", 0.9}, {"seed", 1}, {"model", "from-provider"}};
  auto call = ask("hi");
  call.max_tokens = 5;
  call.params = {{"seed", 2}, {"n", 3}, {"max_tokens", 9}};
  const auto body = json::parse(build_chat_request(provider, call, secret, {}).body);
  BOOST_TEST(body["model"] == "from-provider");
  BOOST_TEST(body["top_p"] == 0.9);
  BOOST_TEST(body["seed"] == 2);
  BOOST_TEST(body["n"] == 3);
  BOOST_TEST(body["max_tokens"] == 9);
}

BOOST_AUTO_TEST_CASE(openai_request_asks_for_n_choices_and_params_still_win) {
  auto call = ask("hi");
  call.n = 4;
  BOOST_TEST(json::parse(build_chat_request(openai(), call, secret, {}).body)["n"] == 4);
  auto provider = openai();
  provider.params = {{"n", 2}};
  BOOST_TEST(json::parse(build_chat_request(provider, call, secret, {}).body)["n"] == 2);
  // Anthropic has no "n": its body stays as it was.
  BOOST_TEST(!json::parse(build_chat_request(anthropic(), call, secret, {}).body).contains("n"));
}

BOOST_AUTO_TEST_CASE(anthropic_request_uses_its_own_shape_and_headers) {
  auto call = ask("hello");
  call.system = "be brief";
  call.temperature = 0.2;
  const auto request = build_chat_request(anthropic(), call, secret, std::chrono::seconds(2));
  BOOST_TEST(request.url == "https://api.anthropic.test/v1/messages");
  const auto body = json::parse(request.body);
  BOOST_TEST(body["model"] == "claude-test");
  BOOST_TEST(body["max_tokens"] == 1024);
  BOOST_TEST(body["system"] == "be brief");
  BOOST_TEST(body["messages"] == json::parse(R"([{"role":"user","content":"hello"}])"));
  BOOST_TEST(body["temperature"] == 0.2);
  BOOST_TEST(has_header(request, "x-api-key: " + secret));
  BOOST_TEST(has_header(request, "anthropic-version: 2023-06-01"));
  for (const auto& h : request.headers) BOOST_TEST(h.find("Authorization") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(anthropic_request_honours_max_tokens_and_version) {
  auto provider = anthropic();
  provider.anthropic_version = "2024-01-01";
  auto call = ask("hi");
  call.max_tokens = 64;
  const auto request = build_chat_request(provider, call, secret, {});
  BOOST_TEST(json::parse(request.body)["max_tokens"] == 64);
  BOOST_TEST(json::parse(request.body).count("system") == 0u);
  BOOST_TEST(has_header(request, "anthropic-version: 2024-01-01"));
}

BOOST_AUTO_TEST_CASE(invalid_utf8_in_a_prompt_is_replaced_not_thrown) {
  const auto request = build_chat_request(openai(), ask("bad \xff byte"), secret, {});
  const auto body = json::parse(request.body);
  BOOST_TEST(body["messages"][0]["content"] == "bad \xEF\xBF\xBD byte");
}

BOOST_AUTO_TEST_CASE(openai_success_reads_text_and_usage) {
  const auto outcome = read_chat_response(
      openai(),
      answer(200, R"({"choices":[{"message":{"role":"assistant","content":"pong"}}],)"
                  R"("usage":{"prompt_tokens":12,"completion_tokens":1}})"),
      now);
  BOOST_TEST((outcome.kind == outcome_kind::ok));
  BOOST_TEST(outcome.text == "pong");
  BOOST_TEST(outcome.http_status == 200);
  BOOST_TEST(outcome.prompt_tokens == 12u);
  BOOST_TEST(outcome.completion_tokens == 1u);
  BOOST_TEST(outcome.error.empty());
  BOOST_TEST(outcome.more_texts.empty());
}

BOOST_AUTO_TEST_CASE(openai_further_choices_become_more_texts_in_order) {
  const auto outcome = read_chat_response(
      openai(),
      answer(200, R"({"choices":[{"index":0,"message":{"content":"a"}},)"
                  R"({"index":1,"message":{"content":"b"}},{"index":2,"message":{"content":""}}],)"
                  R"("usage":{"prompt_tokens":5,"completion_tokens":3}})"),
      now);
  BOOST_TEST((outcome.kind == outcome_kind::ok));
  BOOST_TEST(outcome.text == "a");
  BOOST_TEST(outcome.more_texts == (std::vector<std::string>{"b", ""}),
             boost::test_tools::per_element());
  BOOST_TEST(outcome.prompt_tokens == 5u);
  BOOST_TEST(outcome.completion_tokens == 3u);
}

BOOST_AUTO_TEST_CASE(a_further_choice_without_content_is_final) {
  for (const auto* body : {R"({"choices":[{"message":{"content":"a"}},{"message":{"content":7}}]})",
                           R"({"choices":[{"message":{"content":"a"}},{"finish_reason":"x"}]})"}) {
    const auto outcome = read_chat_response(openai(), answer(200, body), now);
    BOOST_TEST((outcome.kind == outcome_kind::final), body);
    BOOST_TEST(outcome.error == "unexpected response: no choices[1].message.content", body);
    BOOST_TEST(outcome.more_texts.empty(), body);
  }
}

BOOST_AUTO_TEST_CASE(anthropic_success_joins_text_blocks_and_reads_usage) {
  const auto outcome =
      read_chat_response(anthropic(),
                         answer(200, R"({"type":"message","content":[{"type":"text","text":"po"},)"
                                     R"({"type":"tool_use","id":"x"},{"type":"text","text":"ng"}],)"
                                     R"("usage":{"input_tokens":12,"output_tokens":1}})"),
                         now);
  BOOST_TEST((outcome.kind == outcome_kind::ok));
  BOOST_TEST(outcome.text == "pong");
  BOOST_TEST(outcome.prompt_tokens == 12u);
  BOOST_TEST(outcome.completion_tokens == 1u);
}

BOOST_AUTO_TEST_CASE(missing_usage_counts_zero) {
  const auto outcome =
      read_chat_response(openai(), answer(201, R"({"choices":[{"message":{"content":""}}]})"), now);
  BOOST_TEST((outcome.kind == outcome_kind::ok));
  BOOST_TEST(outcome.text.empty());
  BOOST_TEST(outcome.prompt_tokens == 0u);
}

BOOST_AUTO_TEST_CASE(rate_limited_is_retryable_with_the_server_floor) {
  auto response = answer(429, R"({"error":{"message":"Rate limit reached","type":"requests"}})");
  response.retry_after = "1";
  auto outcome = read_chat_response(openai(), response, now);
  BOOST_TEST((outcome.kind == outcome_kind::retryable));
  BOOST_TEST(outcome.http_status == 429);
  BOOST_TEST(outcome.error == "HTTP 429: Rate limit reached");
  BOOST_TEST((outcome.retry_after == std::chrono::milliseconds(1000)));

  response.retry_after_ms = "250";
  outcome = read_chat_response(openai(), response, now);
  BOOST_TEST((outcome.retry_after == std::chrono::milliseconds(250)));
}

BOOST_AUTO_TEST_CASE(server_errors_are_retryable) {
  const auto outcome = read_chat_response(anthropic(), answer(500, "<html>\nboom</html>"), now);
  BOOST_TEST((outcome.kind == outcome_kind::retryable));
  BOOST_TEST(outcome.error == "HTTP 500: <html> boom</html>");
  BOOST_TEST(!outcome.retry_after.has_value());
  BOOST_TEST(read_chat_response(openai(), answer(503, ""), now).error == "HTTP 503");
}

BOOST_AUTO_TEST_CASE(client_errors_are_final_with_the_body_message) {
  const auto openai_400 =
      read_chat_response(openai(), answer(400, R"({"error":{"message":"model not found"}})"), now);
  BOOST_TEST((openai_400.kind == outcome_kind::final));
  BOOST_TEST(openai_400.error == "HTTP 400: model not found");

  const auto anthropic_404 = read_chat_response(
      anthropic(),
      answer(404, R"({"type":"error","error":{"type":"not_found_error","message":"no model"}})"),
      now);
  BOOST_TEST((anthropic_404.kind == outcome_kind::final));
  BOOST_TEST(anthropic_404.error == "HTTP 404: no model");

  BOOST_TEST(read_chat_response(openai(), answer(401, R"({"error":"bad auth"})"), now).error ==
             "HTTP 401: bad auth");
  BOOST_TEST(
      read_chat_response(openai(), answer(400, R"({"object":"error","message":"too long"})"), now)
          .error == "HTTP 400: too long");
}

BOOST_AUTO_TEST_CASE(malformed_success_body_is_final_with_its_first_bytes) {
  const std::string body = R"({"choices":[{"message":{"content":"po)" + std::string(200, 'x');
  const auto outcome = read_chat_response(openai(), answer(200, body), now);
  BOOST_TEST((outcome.kind == outcome_kind::final));
  BOOST_TEST(outcome.error == "unexpected response (HTTP 200): " + body.substr(0, 120));
  BOOST_TEST(read_chat_response(anthropic(), answer(200, "[1,2]"), now).error ==
             "unexpected response (HTTP 200): [1,2]");
}

BOOST_AUTO_TEST_CASE(excerpt_does_not_split_a_utf8_sequence) {
  const std::string body = std::string(119, 'a') + "\xC3\xA9 tail";
  const auto error = read_chat_response(openai(), answer(200, body), now).error;
  BOOST_TEST(error == "unexpected response (HTTP 200): " + std::string(119, 'a'));
}

BOOST_AUTO_TEST_CASE(success_without_content_is_final) {
  for (const auto* body :
       {R"({"choices":[{"message":{"content":null}}]})", R"({"choices":[]})",
        R"({"choices":[{"message":{}}]})", R"({"choices":[1]})", R"({"id":"x"})"}) {
    const auto outcome = read_chat_response(openai(), answer(200, body), now);
    BOOST_TEST((outcome.kind == outcome_kind::final), body);
    BOOST_TEST(outcome.error == "unexpected response: no choices[0].message.content", body);
  }
  for (const auto* body :
       {R"({"content":[]})", R"({"content":[{"type":"tool_use"}]})", R"({"content":"pong"})"}) {
    const auto outcome = read_chat_response(anthropic(), answer(200, body), now);
    BOOST_TEST((outcome.kind == outcome_kind::final), body);
    BOOST_TEST(outcome.error == "unexpected response: no content[].text", body);
  }
}

BOOST_AUTO_TEST_CASE(transport_errors_are_classified_and_worded) {
  http_response refused;
  refused.curl_code = CURLE_COULDNT_CONNECT;
  refused.curl_error = "Couldn't connect to server";
  auto outcome = read_chat_response(openai(), refused, now);
  BOOST_TEST((outcome.kind == outcome_kind::retryable));
  BOOST_TEST(outcome.http_status == 0);
  BOOST_TEST(outcome.error == "curl: Couldn't connect to server");

  http_response timed_out;
  timed_out.curl_code = CURLE_OPERATION_TIMEDOUT;
  timed_out.curl_error = "timeout after 2000 ms";
  outcome = read_chat_response(anthropic(), timed_out, now);
  BOOST_TEST((outcome.kind == outcome_kind::retryable));
  BOOST_TEST(outcome.error == "timeout after 2000 ms");

  http_response tls;
  tls.curl_code = CURLE_PEER_FAILED_VERIFICATION;
  outcome = read_chat_response(openai(), tls, now);
  BOOST_TEST((outcome.kind == outcome_kind::final));
  BOOST_TEST(outcome.error == "curl: error " + std::to_string(CURLE_PEER_FAILED_VERIFICATION));
}

BOOST_AUTO_TEST_CASE(the_key_never_reaches_an_error) {
  // The request carries the key only in its headers, and reading never sees the request.
  for (const auto& spec : {openai(), anthropic()}) {
    const auto request = build_chat_request(spec, ask("prompt"), secret, {});
    BOOST_TEST(request.body.find(secret) == std::string::npos);
    BOOST_TEST(request.url.find(secret) == std::string::npos);
    for (const long status : {400L, 401L, 429L, 500L, 200L}) {
      const auto outcome = read_chat_response(spec, answer(status, "not json"), now);
      BOOST_TEST(!outcome.error.empty());
      BOOST_TEST(outcome.error.find(secret) == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_empty_completion_fails_only_when_content_is_required) {
  const auto empty =
      answer(200, R"({"choices":[{"message":{"role":"assistant","content":"  "}}]})");
  auto lenient = read_chat_response(openai(), empty, now);
  BOOST_TEST((lenient.kind == outcome_kind::ok));
  auto strict_provider = openai();
  strict_provider.require_content = true;
  const auto strict = read_chat_response(strict_provider, empty, now);
  BOOST_TEST((strict.kind == outcome_kind::final));
  BOOST_TEST(strict.error.find("empty completion") != std::string::npos);
  const auto full = read_chat_response(
      strict_provider,
      answer(200, R"({"choices":[{"message":{"role":"assistant","content":"pong"}}]})"), now);
  BOOST_TEST((full.kind == outcome_kind::ok));
}

BOOST_AUTO_TEST_CASE(the_finish_reason_is_kept) {
  const auto cut = read_chat_response(
      openai(),
      answer(200, R"({"choices":[{"message":{"content":"Once upon"},"finish_reason":"length"}]})"),
      now);
  BOOST_TEST((cut.kind == outcome_kind::ok));
  BOOST_TEST(cut.text == "Once upon");
  BOOST_TEST(cut.finish_reason == "length");

  // With n, one truncated choice is not hidden by the others.
  const auto n = read_chat_response(
      openai(), answer(200, R"({"choices":[{"message":{"content":"a"},"finish_reason":"stop"},
                                 {"message":{"content":"b"},"finish_reason":"length"}]})"),
      now);
  BOOST_TEST(n.finish_reason == "length");

  const auto none = read_chat_response(
      openai(), answer(200, R"({"choices":[{"message":{"content":"a"}}]})"), now);
  BOOST_TEST(none.finish_reason.empty());
}

BOOST_AUTO_TEST_CASE(anthropic_stop_reasons_are_mapped_to_openai_words) {
  const auto reason = [](const char* stop_reason) {
    const auto body = std::string(R"({"content":[{"type":"text","text":"x"}],"stop_reason":")") +
                      stop_reason + "\"}";
    return read_chat_response(anthropic(), answer(200, body), now).finish_reason;
  };
  BOOST_TEST(reason("max_tokens") == "length");
  BOOST_TEST(reason("end_turn") == "stop");
  BOOST_TEST(reason("stop_sequence") == "stop");
  BOOST_TEST(reason("tool_use") == "tool_calls");
  BOOST_TEST(reason("pause_turn") == "pause_turn");
}

BOOST_AUTO_TEST_CASE(a_refusal_is_a_final_failure_with_its_text) {
  const auto refused = read_chat_response(
      openai(),
      answer(200, R"({"choices":[{"message":{"content":null,"refusal":"I can't help with that."},
                                  "finish_reason":"stop"}]})"),
      now);
  BOOST_TEST((refused.kind == outcome_kind::final));
  BOOST_TEST(refused.error == "I can't help with that.");
  BOOST_TEST(refused.text.empty());

  const auto anthropic_refusal = read_chat_response(
      anthropic(), answer(200, R"({"content":[],"stop_reason":"refusal"})"), now);
  BOOST_TEST((anthropic_refusal.kind == outcome_kind::final));
  BOOST_TEST(anthropic_refusal.error == "the model refused to answer");
}

BOOST_AUTO_TEST_CASE(an_oversized_answer_is_a_final_failure_that_says_so) {
  http_response response;
  response.curl_code = CURLE_FILESIZE_EXCEEDED;
  response.curl_error = "response larger than 64 MiB (the HTTP engine's max_response_bytes)";
  const auto outcome = read_chat_response(openai(), response, now);
  BOOST_TEST((outcome.kind == outcome_kind::final));
  BOOST_TEST(outcome.error == response.curl_error);
  const auto batch = read_passthrough_response(openai(), response, now);
  BOOST_TEST((batch.kind == outcome_kind::final));
}

BOOST_AUTO_TEST_CASE(a_passthrough_body_nesting_too_deep_is_written_as_text) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const auto outcome = read_passthrough_response(openai(), answer(200, deep), now);
  BOOST_TEST((outcome.kind == outcome_kind::ok));
  const auto envelope = nlohmann::json::parse(outcome.text);
  BOOST_TEST(envelope.at("status_code") == 200);
  BOOST_TEST(envelope.at("body") == deep);
}
