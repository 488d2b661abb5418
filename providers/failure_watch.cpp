#include "providers/failure_watch.hpp"

#include <cctype>

#include <nlohmann/json.hpp>

namespace parallm::providers {
namespace {

bool failed(const call_outcome& outcome) {
  return outcome.kind != outcome_kind::ok || outcome.http_status >= 400;
}

// Transport errors carry counts ("after 1001 ms") that differ between calls of one cause.
std::string without_numbers(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      out += c;
    } else if (out.empty() || out.back() != '#') {
      out += '#';
    }
  }
  return out;
}

std::string class_of(const call_outcome& outcome) {
  if (outcome.http_status != 0) return "HTTP " + std::to_string(outcome.http_status);
  return without_numbers(outcome.error);
}

// "HTTP 401: Incorrect API key" -> "HTTP 401 (Incorrect API key)".
// A pass-through answer is the envelope {"status_code", "request_id", "body"}.
std::string envelope_message(const std::string& text) {
  const auto envelope = nlohmann::json::parse(text, nullptr, false);
  const auto message = envelope.is_object()
                           ? envelope.value("/body/error/message"_json_pointer, nlohmann::json())
                           : nlohmann::json();
  return message.is_string() ? message.get<std::string>() : std::string();
}

// "HTTP 401: Incorrect API key" -> "HTTP 401 (Incorrect API key)".
std::string cause_of(const call_outcome& outcome) {
  if (outcome.http_status == 0) return outcome.error;
  const std::string status = "HTTP " + std::to_string(outcome.http_status);
  std::string message;
  if (outcome.error.starts_with(status + ": ")) {
    message = outcome.error.substr(status.size() + 2);
  } else if (outcome.kind == outcome_kind::ok) {
    message = envelope_message(outcome.text);
  }
  return message.empty() ? status : status + " (" + message + ")";
}

}  // namespace

std::optional<std::string> failure_watch::on_settled(const call_outcome& outcome) {
  if (threshold_ <= 0 || disarmed_ || tripped_) return std::nullopt;
  if (!failed(outcome)) {
    disarmed_ = true;
    return std::nullopt;
  }
  if (failed_ == 0) {
    class_ = class_of(outcome);
    cause_ = cause_of(outcome);
  } else if (class_of(outcome) != class_) {
    disarmed_ = true;
    return std::nullopt;
  }
  if (++failed_ < threshold_) return std::nullopt;
  tripped_ = true;
  const std::string calls =
      threshold_ == 1 ? "call failed" : std::to_string(threshold_) + " calls all failed";
  return "stopped after the first " + calls + ": " + cause_;
}

}  // namespace parallm::providers
