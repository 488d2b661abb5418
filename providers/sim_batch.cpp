#include "providers/sim_batch.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace parallm::providers {
namespace {

using nlohmann::json;

// Beyond this, "n" is a mistake in the body, not a request for that many sims.
constexpr std::int64_t max_choices = 128;

// The text of every message, in order: the string contents, and the text parts of a list.
std::string prompt_of(const json& body) {
  std::string prompt;
  const auto messages = body.find("messages");
  if (messages == body.end() || !messages->is_array()) return prompt;
  const auto add = [&prompt](const json& text) {
    if (!text.is_string()) return;
    if (!prompt.empty()) prompt += '\n';
    prompt += text.get_ref<const std::string&>();
  };
  for (const auto& message : *messages) {
    if (!message.is_object() || !message.contains("content")) continue;
    const auto& content = message["content"];
    if (!content.is_array()) {
      add(content);
      continue;
    }
    for (const auto& part : content) {
      if (part.is_object() && part.contains("text")) add(part["text"]);
    }
  }
  return prompt;
}

std::optional<std::int64_t> integer_at(const json& body, const char* key) {
  const auto found = body.find(key);
  if (found == body.end() || !found->is_number_integer()) return std::nullopt;
  return found->get<std::int64_t>();
}

std::string hex_of(std::uint64_t value) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (auto it = out.rbegin(); it != out.rend(); ++it, value >>= 4) *it = digits[value & 0xf];
  return out;
}

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

sim_answer bad_request(std::string_view body) {
  sim_answer answer;
  answer.outcome.text =
      dump(json{{"status_code", 400},
                {"request_id", "req_sim_" + hex_of(fnv1a(body))},
                {"body",
                 {{"error",
                   {{"message", "sim: the body is not a chat completions request"},
                    {"type", "invalid_request_error"}}}}}});
  answer.outcome.http_status = 400;
  return answer;
}

}  // namespace

sim_answer sim_batch_call(const config::sim_options& options, std::string_view body,
                          std::uint32_t attempt) {
  const auto request = json::parse(body, nullptr, false);
  if (!request.is_object()) return bad_request(body);
  const auto prompt = prompt_of(request);
  auto max_tokens = integer_at(request, "max_completion_tokens");
  if (!max_tokens) max_tokens = integer_at(request, "max_tokens");
  const auto limit =
      max_tokens
          ? std::optional<int>(static_cast<int>(std::clamp<std::int64_t>(*max_tokens, 0, 1 << 30)))
          : std::nullopt;
  const auto n = std::clamp<std::int64_t>(integer_at(request, "n").value_or(1), 1, max_choices);

  // Choice 0 decides the failure draw and the delay, as one request does.
  auto answer = sim_call(options, prompt, 0, attempt, limit);
  if (answer.outcome.kind != outcome_kind::ok) return answer;
  auto others = options;
  others.fail_rate = 0;
  json choices = json::array();
  std::uint64_t completion_tokens = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    auto one = i == 0 ? answer : sim_call(others, prompt, static_cast<std::uint32_t>(i), 1, limit);
    completion_tokens += one.outcome.completion_tokens;
    choices.push_back({{"index", i},
                       {"message", {{"role", "assistant"}, {"content", one.outcome.text}}},
                       {"finish_reason", one.outcome.finish_reason}});
  }
  const auto id = hex_of(fnv1a(body) ^ options.seed);
  const auto model =
      request.contains("model") && request["model"].is_string() ? request["model"] : json("sim");
  const auto prompt_tokens = answer.outcome.prompt_tokens;
  json completion{{"id", "chatcmpl-sim-" + id},
                  {"object", "chat.completion"},
                  {"created", 0},
                  {"model", model},
                  {"choices", std::move(choices)},
                  {"usage",
                   {{"prompt_tokens", prompt_tokens},
                    {"completion_tokens", completion_tokens},
                    {"total_tokens", prompt_tokens + completion_tokens}}}};
  answer.outcome.http_status = 200;
  answer.outcome.completion_tokens = completion_tokens;
  answer.outcome.text = dump(
      json{{"status_code", 200}, {"request_id", "req_sim_" + id}, {"body", std::move(completion)}});
  return answer;
}

}  // namespace parallm::providers
