#include "batch/openai_batch.hpp"

#include "batch/json_line_text.hpp"
#include "batch/json_nesting.hpp"

#include <array>

namespace parallm::batch {
namespace {

// The string field `key`, or nullptr when it is missing or not a string.
const std::string* string_field(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || !found->is_string()) return nullptr;
  return &found->get_ref<const std::string&>();
}

// What is wrong with the line's fields, or an empty string; fills the request as it goes.
std::string check_fields(const nlohmann::json& object, batch_request& request) {
  const auto* custom_id = string_field(object, "custom_id");
  if (custom_id == nullptr || custom_id->empty()) {
    return "field 'custom_id' must be a non-empty string";
  }
  request.custom_id = *custom_id;
  const auto* method = string_field(object, "method");
  if (method == nullptr || *method != "POST") return "field 'method' must be \"POST\"";
  request.method = *method;
  const auto* url = string_field(object, "url");
  if (url == nullptr || !url->starts_with('/')) {
    return "field 'url' must be a path starting with '/'";
  }
  request.url = *url;
  const auto body = object.find("body");
  if (body == object.end() || !body->is_object()) return "field 'body' must be an object";
  request.body = *body;
  return {};
}

// Strings that reach the output may come from outside (a transport error text); invalid
// UTF-8 is replaced rather than allowed to throw.
std::string quoted(std::string_view text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string request_line_id(std::uint64_t nonce, std::uint64_t seq) {
  static constexpr std::string_view digits = "0123456789abcdef";
  std::array<char, 16> hex{};
  auto n = nonce + seq;
  for (auto it = hex.rbegin(); it != hex.rend(); ++it, n >>= 4) *it = digits[n & 0xf];
  return "batch_req_" + std::string(hex.data(), hex.size());
}

}  // namespace

std::optional<batch_request> parse_batch_request(std::string_view text, std::uint64_t line) {
  if (is_blank(text)) return std::nullopt;
  batch_request request;
  request.line = line;
  std::string problem;
  if (nests_deeper_than(text, max_json_nesting)) {
    request.error = "line " + std::to_string(line) + ": " + std::string(too_deep_reason);
    return request;
  }
  try {
    const auto parsed = nlohmann::json::parse(text);
    problem = parsed.is_object() ? check_fields(parsed, request) : "expected a JSON object";
  } catch (const nlohmann::json::exception& e) {
    problem = "not a JSON object (" + without_exception_tag(e.what()) + ")";
  }
  if (!problem.empty()) {
    request.error = "line " + std::to_string(line) + ": " + problem;
  }
  return request;
}

bool looks_like_openai_batch(std::string_view first_nonblank_line) {
  const auto parsed = nlohmann::json::parse(first_nonblank_line, nullptr, false);
  return parsed.is_object() && parsed.contains("custom_id") && parsed.contains("url") &&
         parsed.contains("body");
}

std::string batch_output_line(const nlohmann::json& custom_id, std::uint64_t line,
                              std::uint64_t nonce, std::uint64_t seq, int status_code,
                              std::string_view request_id, const nlohmann::json* body,
                              std::string_view error_code, std::string_view error_message) {
  // Written by hand because nlohmann::json sorts keys and the format's order is id first.
  std::string out = R"({"id":")" + request_line_id(nonce, seq) + R"(","custom_id":)" +
                    custom_id.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (custom_id.is_null()) out += R"(,"line":)" + std::to_string(line);
  out += R"(,"response":)";
  if (status_code == 0) {
    out += "null";
  } else {
    out += R"({"status_code":)" + std::to_string(status_code) + R"(,"request_id":)" +
           quoted(request_id) + R"(,"body":)";
    out += body == nullptr ? "null"
                           : body->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += '}';
  }
  out += R"(,"error":)";
  if (error_code.empty() && error_message.empty()) {
    out += "null";
  } else {
    out += R"({"code":)" + quoted(error_code) + R"(,"message":)" + quoted(error_message) + '}';
  }
  out += '}';
  return out;
}

std::string batch_output_from_result(std::string_view result_line, std::uint64_t nonce,
                                     std::uint64_t seq) {
  const auto item = nlohmann::json::parse(result_line, nullptr, false);
  if (!item.is_object()) {
    return batch_output_line(nullptr, 0, nonce, seq, 0, "", nullptr, "internal_error",
                             "parallm wrote an unreadable result line");
  }
  const auto id = item.value("id", nlohmann::json());
  const auto line = item.value("line", std::uint64_t{0});
  const auto* output = item.contains("output") ? &item["output"] : nullptr;
  if (item.value("status", std::string()) == "ok" && output && output->is_object() &&
      output->contains("status_code")) {
    const auto status = output->value("status_code", 0);
    const auto request_id = output->value("request_id", std::string());
    const auto* body = output->contains("body") ? &(*output)["body"] : nullptr;
    return batch_output_line(id, line, nonce, seq, status, request_id, body, "", "");
  }
  const auto& error = item.contains("error") && item["error"].is_string()
                          ? item["error"].get_ref<const std::string&>()
                          : std::string("no response");
  return batch_output_line(id, line, nonce, seq, 0, "", nullptr, "request_failed", error);
}

}  // namespace parallm::batch
