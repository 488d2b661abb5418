#include "providers/chat_api.hpp"

#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <curl/curl.h>

#include "batch/json_nesting.hpp"
#include "providers/endpoint.hpp"
#include "providers/failure_class.hpp"
#include "providers/retry_after.hpp"

namespace parallm::providers {
namespace {

using nlohmann::json;

constexpr std::string_view default_anthropic_version = "2023-06-01";
// Anthropic rejects a request without max_tokens; OpenAI-compatible servers have their own.
constexpr int default_anthropic_max_tokens = 1024;
constexpr std::size_t excerpt_bytes = 120;
constexpr std::size_t max_message_bytes = 300;

std::string endpoint(std::string_view base_url, std::string_view path) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  std::string url;
  url.reserve(base_url.size() + path.size());
  url.append(base_url).append(path);
  return url;
}

void merge_top_level(json& body, const json& params) {
  if (!params.is_object()) return;
  for (const auto& [key, value] : params.items()) body[key] = value;
}

// A model's invalid UTF-8 in a prompt must not abort the call: it is replaced, not thrown.
std::string dump(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

json openai_body(const config::provider_spec& provider, const chat_call& call) {
  json messages = json::array();
  if (!call.system.empty()) messages.push_back({{"role", "system"}, {"content", call.system}});
  messages.push_back({{"role", "user"}, {"content", call.prompt}});
  json body = {{"model", provider.model}, {"messages", std::move(messages)}};
  if (call.temperature) body["temperature"] = *call.temperature;
  if (call.max_tokens) body["max_tokens"] = *call.max_tokens;
  if (call.n > 1) body["n"] = call.n;
  return body;
}

json anthropic_body(const config::provider_spec& provider, const chat_call& call) {
  json body = {{"model", provider.model},
               {"max_tokens", call.max_tokens.value_or(default_anthropic_max_tokens)}};
  if (!call.system.empty()) body["system"] = call.system;
  body["messages"] = json::array({{{"role", "user"}, {"content", call.prompt}}});
  if (call.temperature) body["temperature"] = *call.temperature;
  return body;
}

// At most `limit` bytes on one line, not cutting a UTF-8 sequence in two.
std::string excerpt(std::string_view text, std::size_t limit) {
  if (text.size() > limit) {
    auto cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut);
  }
  std::string line(text);
  for (auto& c : line) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return line;
}

// OpenAI and Anthropic: {"error":{"message":...}}; Ollama and others: {"error":"..."};
// vLLM: {"object":"error","message":...}.
std::string error_message(std::string_view body) {
  const auto parsed = json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    const auto error = parsed.find("error");
    if (error != parsed.end()) {
      if (error->is_string())
        return excerpt(error->get_ref<const std::string&>(), max_message_bytes);
      if (error->is_object()) {
        const auto message = error->find("message");
        if (message != error->end() && message->is_string()) {
          return excerpt(message->get_ref<const std::string&>(), max_message_bytes);
        }
      }
    }
    const auto message = parsed.find("message");
    if (message != parsed.end() && message->is_string()) {
      return excerpt(message->get_ref<const std::string&>(), max_message_bytes);
    }
  }
  return excerpt(body, excerpt_bytes);
}

std::uint64_t count_at(const json& object, const char* usage_key, const char* key) {
  const auto usage = object.find(usage_key);
  if (usage == object.end() || !usage->is_object()) return 0;
  const auto value = usage->find(key);
  return value != usage->end() && value->is_number_unsigned() ? value->get<std::uint64_t>() : 0;
}

void fail(call_outcome& outcome, outcome_kind kind, std::string error) {
  outcome.kind = kind;
  outcome.error = std::move(error);
}

const json* message_field(const json& choice, const char* key) {
  if (!choice.is_object()) return nullptr;
  const auto message = choice.find("message");
  if (message == choice.end() || !message->is_object()) return nullptr;
  const auto found = message->find(key);
  return found != message->end() && found->is_string() ? &*found : nullptr;
}

std::string string_at(const json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

// The choices' reason to stop: the first that is not a normal "stop", so that one truncated
// choice among n is not hidden by the others.
std::string finish_reason_of(const json& choices) {
  std::string reason;
  for (const auto& choice : choices) {
    auto one = string_at(choice, "finish_reason");
    if (reason.empty() || (reason == "stop" && !one.empty())) reason = std::move(one);
  }
  return reason;
}

// Anthropic's stop_reason in OpenAI's words, so that one field means one thing whatever the
// provider; a reason OpenAI has no word for is kept as it is.
std::string openai_finish_reason(const std::string& stop_reason) {
  if (stop_reason == "end_turn" || stop_reason == "stop_sequence") return "stop";
  if (stop_reason == "max_tokens") return "length";
  if (stop_reason == "tool_use") return "tool_calls";
  return stop_reason;
}

void read_openai(const json& body, call_outcome& outcome) {
  const auto choices = body.find("choices");
  if (choices == body.end() || !choices->is_array() || choices->empty()) {
    fail(outcome, outcome_kind::final, "unexpected response: no choices[0].message.content");
    return;
  }
  outcome.finish_reason = finish_reason_of(*choices);
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < choices->size(); ++i) {
    const auto* content = message_field((*choices)[i], "content");
    if (content == nullptr) {
      // A refusal comes with a null content: the model answered, and will answer the same
      // way again, so it is a final failure that says what the model said.
      if (const auto* refusal = message_field((*choices)[i], "refusal")) {
        fail(outcome, outcome_kind::final, excerpt(refusal->get<std::string>(), max_message_bytes));
        return;
      }
      fail(outcome, outcome_kind::final,
           "unexpected response: no choices[" + std::to_string(i) + "].message.content");
      return;
    }
    texts.push_back(content->get<std::string>());
  }
  outcome.text = std::move(texts.front());
  outcome.more_texts.assign(std::make_move_iterator(texts.begin() + 1),
                            std::make_move_iterator(texts.end()));
  outcome.prompt_tokens = count_at(body, "usage", "prompt_tokens");
  outcome.completion_tokens = count_at(body, "usage", "completion_tokens");
}

void read_anthropic(const json& body, call_outcome& outcome) {
  outcome.finish_reason = openai_finish_reason(string_at(body, "stop_reason"));
  const auto content = body.find("content");
  bool found_text = false;
  if (content != body.end() && content->is_array()) {
    for (const auto& block : *content) {
      if (!block.is_object()) continue;
      const auto text = block.find("text");
      if (text == block.end() || !text->is_string()) continue;
      outcome.text += text->get_ref<const std::string&>();
      found_text = true;
    }
  }
  if (outcome.finish_reason == "refusal") {
    fail(outcome, outcome_kind::final,
         found_text ? excerpt(outcome.text, max_message_bytes) : "the model refused to answer");
    outcome.text.clear();
    return;
  }
  if (!found_text) {
    fail(outcome, outcome_kind::final, "unexpected response: no content[].text");
    return;
  }
  outcome.prompt_tokens = count_at(body, "usage", "input_tokens");
  outcome.completion_tokens = count_at(body, "usage", "output_tokens");
}

call_outcome transport_failure(const http_response& response) {
  call_outcome outcome;
  outcome.kind = classify_transport(response.curl_code).kind;
  // The engine writes its own reasons for these: they are not curl's to prefix.
  const bool engine_reason = response.curl_code == CURLE_OPERATION_TIMEDOUT ||
                             response.curl_code == CURLE_FILESIZE_EXCEEDED ||
                             response.curl_code == CURLE_ABORTED_BY_CALLBACK;
  if (engine_reason && !response.curl_error.empty()) {
    outcome.error = response.curl_error;
  } else if (!response.curl_error.empty()) {
    outcome.error = "curl: " + response.curl_error;
  } else {
    outcome.error = "curl: error " + std::to_string(response.curl_code);
  }
  return outcome;
}

}  // namespace

http_request build_chat_request(const config::provider_spec& provider, const chat_call& call,
                                const std::string& api_key, std::chrono::milliseconds timeout) {
  const bool anthropic = provider.kind == config::provider_kind::anthropic;
  json body = anthropic ? anthropic_body(provider, call) : openai_body(provider, call);
  merge_top_level(body, provider.params);
  merge_top_level(body, call.params);
  return build_passthrough_request(provider, dump(body), api_key, timeout);
}

http_request build_passthrough_request(const config::provider_spec& provider, std::string body,
                                       const std::string& api_key,
                                       std::chrono::milliseconds timeout,
                                       std::string_view batch_path) {
  const bool anthropic = provider.kind == config::provider_kind::anthropic;
  http_request request;
  const auto batch_url = anthropic || batch_path.empty()
                             ? std::nullopt
                             : batch_request_url(provider.base_url, batch_path);
  request.url = batch_url
                    ? *batch_url
                    : endpoint(provider.base_url, anthropic ? "/messages" : "/chat/completions");
  request.body = std::move(body);
  request.timeout = timeout;
  request.ca_file = provider.ca_file;
  request.headers.emplace_back("Content-Type: application/json");
  if (anthropic) {
    request.headers.push_back("x-api-key: " + api_key);
    request.headers.push_back("anthropic-version: " + (provider.anthropic_version.empty()
                                                           ? std::string(default_anthropic_version)
                                                           : provider.anthropic_version));
  } else if (!api_key.empty()) {
    request.headers.push_back("Authorization: Bearer " + api_key);
  }
  return request;
}

call_outcome read_chat_response(const config::provider_spec& provider,
                                const http_response& response,
                                std::chrono::system_clock::time_point now) {
  if (response.curl_code != CURLE_OK) return transport_failure(response);

  call_outcome outcome;
  outcome.http_status = static_cast<int>(response.status);
  outcome.retry_after = parse_retry_after(response.retry_after, response.retry_after_ms, now);
  const auto verdict = classify_http(outcome.http_status);
  if (verdict.kind != outcome_kind::ok) {
    auto error = "HTTP " + std::to_string(response.status);
    const auto message = error_message(response.body);
    if (!message.empty()) error += ": " + message;
    fail(outcome, verdict.kind, std::move(error));
    return outcome;
  }

  const auto body = json::parse(response.body, nullptr, false);
  if (!body.is_object()) {
    fail(outcome, outcome_kind::final,
         "unexpected response (HTTP " + std::to_string(response.status) +
             "): " + excerpt(response.body, excerpt_bytes));
    return outcome;
  }
  if (provider.kind == config::provider_kind::anthropic) {
    read_anthropic(body, outcome);
  } else {
    read_openai(body, outcome);
  }
  if (provider.require_content && outcome.kind == outcome_kind::ok &&
      outcome.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    fail(outcome, outcome_kind::final, "empty completion (require_content is set)");
  }
  return outcome;
}

call_outcome read_passthrough_response(const config::provider_spec& provider,
                                       const http_response& response,
                                       std::chrono::system_clock::time_point now) {
  auto outcome = read_chat_response(provider, response, now);
  if (outcome.kind == outcome_kind::retryable || response.curl_code != CURLE_OK) return outcome;
  // A body nesting deeper than any real answer is kept as text, like one that is not JSON:
  // written whole into the output line it would be dumped recursively, past the stack.
  auto body = batch::nests_deeper_than(response.body, batch::max_json_nesting)
                  ? json(response.body)
                  : json::parse(response.body, nullptr, false);
  if (body.is_discarded()) body = response.body;
  json envelope{
      {"status_code", response.status},
      {"request_id",
       body.is_object() && body.contains("id") && body["id"].is_string() ? body["id"] : json("")},
      {"body", std::move(body)}};
  outcome.kind = outcome_kind::ok;
  outcome.error.clear();
  outcome.text = dump(envelope);
  return outcome;
}

}  // namespace parallm::providers
