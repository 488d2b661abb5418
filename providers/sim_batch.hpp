#pragma once
// The sim provider answering an OpenAI Batch API line's body, so that a Batch file can be
// dry-run without a network or a key: the answer is the envelope a real endpoint's answer is
// turned into ({"status_code", "request_id", "body"}), its body a chat.completion.

#include <cstdint>
#include <string_view>

#include "config/job.hpp"
#include "providers/sim_provider.hpp"

namespace parallm::providers {

// body: the line's body as JSON text (a chat completions request). The prompt the sim answers
// is its messages' text; "max_tokens" (or "max_completion_tokens") and "n" are honoured,
// "model" is echoed. Injected failures are retryable as for any sim call. A body that is not
// a JSON object is answered as an endpoint would: status_code 400 with an error body.
sim_answer sim_batch_call(const config::sim_options& options, std::string_view body,
                          std::uint32_t attempt);

}  // namespace parallm::providers
