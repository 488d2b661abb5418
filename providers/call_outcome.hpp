#pragma once
// What one attempt of an LLM call returned, classified once (failure_class.hpp) so the
// coordinator only has to ask "retry or not".

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parallm::providers {

enum class outcome_kind { ok, retryable, final };

struct call_outcome {
  outcome_kind kind = outcome_kind::ok;
  std::string text;                     // the completion, when ok
  std::vector<std::string> more_texts;  // choices 1.. when the request asked for "n" > 1
  std::string error;  // a one-line reason, when not ok (never contains an API key)
  // Why the model stopped, in OpenAI's words ("stop", "length", "content_filter", ...);
  // empty when the answer did not say.
  std::string finish_reason;
  int http_status = 0;
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
  std::optional<std::chrono::milliseconds> retry_after;  // the server's floor for the next try
};

}  // namespace parallm::providers
