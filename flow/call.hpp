#pragma once
// What the per-item graph asks of a provider, and what comes back. These travel between
// the reducer, the coordinator and the workers.

#include <cstdint>
#include <string>
#include <vector>

namespace parallm::flow {

using node_index = std::uint32_t;

// One LLM call an item needs: node `node`, samples or chunks [element, element + count).
// count > 1 only for samples sent as one request with OpenAI's "n" (supports_n).
struct call_request {
  node_index node = 0;
  std::uint32_t element = 0;
  std::string prompt;
  std::string system;
  std::uint32_t count = 1;
};

// The final outcome of a call after the coordinator's retries.
struct call_result {
  bool ok = false;
  std::string text;                     // the completion, when ok
  std::string error;                    // why not, when !ok
  std::vector<std::string> more_texts;  // choices 1.. of a call with count > 1, when ok
  std::string finish_reason;            // the answer's, empty when it gave none
  int attempts = 1;
  int rate_limited = 0;   // attempts the endpoint answered with 429
  double latency_ms = 0;  // of the last attempt
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
};

}  // namespace parallm::flow
