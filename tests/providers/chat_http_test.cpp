#define BOOST_TEST_MODULE chat_http
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <string>

#include "providers/chat_api.hpp"
#include "providers/http_engine.hpp"
#include "support/fake_upstream.hpp"

// Both wire dialects over a real connection: what build_chat_request sends is what the fake
// upstream answers, and what it answers reads back into the expected outcome.

using namespace parallm::providers;
using parallm::config::provider_kind;
using parallm::config::provider_spec;

namespace {

const std::string secret = "sk-wire-SECRET-42";

struct fixture {
  parallm::test::fake_upstream upstream;
  http_engine engine;

  provider_spec provider(provider_kind kind, const std::string& prefix) const {
    provider_spec spec;
    spec.kind = kind;
    spec.model = "fake-llm";
    spec.base_url =
        upstream.base_url(prefix + (kind == provider_kind::anthropic ? "/anthropic/v1" : "/v1"));
    return spec;
  }

  call_outcome call(const provider_spec& spec,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    chat_call chat;
    chat.prompt = "ping";
    std::promise<http_response> answer;
    auto arrived = answer.get_future();
    engine.submit(build_chat_request(spec, chat, secret, timeout),
                  [&answer](http_response response) { answer.set_value(std::move(response)); });
    BOOST_REQUIRE(arrived.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    return read_chat_response(spec, arrived.get(), std::chrono::system_clock::now());
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(over_the_wire, fixture)

BOOST_AUTO_TEST_CASE(both_dialects_succeed) {
  for (const auto kind : {provider_kind::openai, provider_kind::anthropic}) {
    const auto outcome = call(provider(kind, ""));
    BOOST_TEST((outcome.kind == outcome_kind::ok), outcome.error);
    BOOST_TEST(outcome.text == "pong");
    BOOST_TEST(outcome.http_status == 200);
    BOOST_TEST(outcome.prompt_tokens == 12u);
    BOOST_TEST(outcome.completion_tokens == 1u);
  }
}

BOOST_AUTO_TEST_CASE(the_key_arrives_in_its_header) {
  const auto openai = call(provider(provider_kind::openai, "/echo-headers"));
  BOOST_TEST(openai.text.find("authorization=[Bearer " + secret + "] x-api-key=[]") !=
             std::string::npos);
  const auto anthropic = call(provider(provider_kind::anthropic, "/echo-headers"));
  BOOST_TEST(anthropic.text ==
             "authorization=[] x-api-key=[" + secret + "] anthropic-version=[2023-06-01]");
}

BOOST_AUTO_TEST_CASE(rate_limited_answers_carry_retry_after) {
  for (const auto kind : {provider_kind::openai, provider_kind::anthropic}) {
    const auto outcome = call(provider(kind, "/r429"));
    BOOST_TEST((outcome.kind == outcome_kind::retryable));
    BOOST_TEST(outcome.http_status == 429);
    BOOST_TEST((outcome.retry_after == std::chrono::milliseconds(1000)));
    BOOST_TEST(outcome.error == "HTTP 429: Rate limit reached (fake upstream)");
  }
}

BOOST_AUTO_TEST_CASE(client_errors_and_malformed_answers_are_final) {
  const auto rejected = call(provider(provider_kind::openai, "/r400"));
  BOOST_TEST((rejected.kind == outcome_kind::final));
  BOOST_TEST(rejected.error == "HTTP 400: model not found");

  const auto malformed = call(provider(provider_kind::openai, "/bad"));
  BOOST_TEST((malformed.kind == outcome_kind::final));
  BOOST_TEST(malformed.error.starts_with("unexpected response (HTTP 200): {\"choices\""));
}

BOOST_AUTO_TEST_CASE(flaky_answers_mix_success_and_retryable_server_errors) {
  int ok = 0;
  int retryable = 0;
  for (int i = 0; i < 60; ++i) {
    const auto outcome = call(provider(provider_kind::anthropic, "/flaky"));
    if (outcome.kind == outcome_kind::ok) ++ok;
    if (outcome.kind == outcome_kind::retryable && outcome.http_status == 500) ++retryable;
  }
  BOOST_TEST(ok + retryable == 60);
  BOOST_TEST(ok > 0);
  BOOST_TEST(retryable > 0);
}

BOOST_AUTO_TEST_CASE(transport_failures_are_retryable_and_keyless) {
  const auto timed_out =
      call(provider(provider_kind::openai, "/slow"), std::chrono::milliseconds(100));
  BOOST_TEST((timed_out.kind == outcome_kind::retryable));
  BOOST_TEST(timed_out.error == "timeout after 100 ms");

  const auto closed = call(provider(provider_kind::openai, "/close"));
  BOOST_TEST((closed.kind == outcome_kind::retryable));
  BOOST_TEST(closed.error.starts_with("curl: "));

  auto refused_spec = provider(provider_kind::anthropic, "");
  const auto port = std::to_string(parallm::test::pick_free_port());
  refused_spec.base_url = "http://127.0.0.1:" + port + "/v1";
  const auto refused = call(refused_spec);
  BOOST_TEST((refused.kind == outcome_kind::retryable));
  BOOST_TEST(refused.error.starts_with("curl: Failed to connect to 127.0.0.1 port " + port),
             refused.error);

  for (const auto* error : {&timed_out.error, &closed.error, &refused.error}) {
    BOOST_TEST(error->find(secret) == std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
