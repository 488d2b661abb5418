#pragma once
// The two wire dialects: OpenAI-compatible chat completions and Anthropic messages.
// Pure: building the HTTP request for one call, and reading its response into a classified
// call_outcome (failure_class.hpp, retry_after.hpp). The API key is passed in by the worker,
// which read it from its own environment; it is put in a header and nowhere else.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/job.hpp"
#include "providers/call_outcome.hpp"
#include "providers/http_engine.hpp"

namespace parallm::providers {

struct chat_call {
  std::string prompt;
  std::string system;
  std::optional<double> temperature;
  std::optional<int> max_tokens;
  nlohmann::json params = nlohmann::json::object();  // the node's extra fields
  int n = 1;  // openai: choices to ask for in one request (supports_n)
};

// POST {base_url}/chat/completions (openai; with "n" when call.n > 1) or {base_url}/messages
// (anthropic). Provider params and then node params are merged into the body last, so they
// can set anything.
http_request build_chat_request(const config::provider_spec& provider, const chat_call& call,
                                const std::string& api_key, std::chrono::milliseconds timeout);

// Classifies the exchange: transport errors and HTTP statuses via failure_class; a 2xx whose
// body is not the expected JSON is final ("unexpected response: <first bytes>"); OpenAI's
// choices[0].message.content / Anthropic's content[].text become the text (OpenAI's further
// choices, from "n", become more_texts; each must have a string content); usage is read
// (OpenAI prompt/completion_tokens, Anthropic input/output_tokens); Retry-After and
// retry-after-ms become retry_after. Errors carry the body's error message when it has one.
// finish_reason is OpenAI's (the first choice's that is not "stop"), or Anthropic's
// stop_reason in OpenAI's words (max_tokens -> length, end_turn -> stop). A refusal (OpenAI's
// message.refusal with a null content, Anthropic's stop_reason "refusal") is a final failure
// whose error is the refusal's text.
call_outcome read_chat_response(const config::provider_spec& provider,
                                const http_response& response,
                                std::chrono::system_clock::time_point now);

// OpenAI Batch API files: the line's body is sent as it is to the provider's endpoint: for
// openai, the line's url path (batch_path, one providers::batch_request_url serves) under
// the base URL; {base_url}/chat/completions when batch_path is empty; anthropic's /messages.
http_request build_passthrough_request(const config::provider_spec& provider, std::string body,
                                       const std::string& api_key,
                                       std::chrono::milliseconds timeout,
                                       std::string_view batch_path = {});

// Retryable failures (429, 5xx, transport) are classified as for chat calls so they are
// retried; any other HTTP answer, 4xx included, is the call's result: text is the envelope
// {"status_code": N, "request_id": "...", "body": <the answer's JSON, or its text>}, the
// shape of a Batch API output line's "response".
call_outcome read_passthrough_response(const config::provider_spec& provider,
                                       const http_response& response,
                                       std::chrono::system_clock::time_point now);

}  // namespace parallm::providers
