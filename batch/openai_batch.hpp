#pragma once
// The OpenAI Batch API file formats: input lines ({custom_id, method, url, body}) whose bodies
// are sent to the provider as they are, and the output lines written back for each of them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace parallm::batch {

struct batch_request {
  std::uint64_t line = 0;  // 1-based
  // The line's custom_id; empty when the line has no usable one: it is then known by its line
  // alone, as a line number could collide with a real custom_id.
  std::string custom_id;
  std::string method;   // always "POST" for a good line
  std::string url;      // a path such as "/v1/chat/completions"
  nlohmann::json body;  // sent to the provider unchanged
  // Empty for a good request. Otherwise "line 4: ..." and the request is to be written as
  // failed without being sent.
  std::string error;
};

// nullopt for an empty or whitespace-only line, which is not a request.
std::optional<batch_request> parse_batch_request(std::string_view text, std::uint64_t line);

// True when the line is a JSON object with custom_id, url and body: the input is then a Batch
// API file rather than parallm's own item format.
bool looks_like_openai_batch(std::string_view first_nonblank_line);

// One line of the Batch API output format, without the newline:
// {"id":"batch_req_<16 hex digits>","custom_id":...,"response":...,"error":...}.
// custom_id keeps its JSON type; when it is null the line also carries the input "line"
// right after it, so that --resume knows which line it stands for. The id's digits are
// nonce + seq: distinct within a run, and runs draw their own nonce so that appending runs
// (--resume) do not repeat ids. response is null when status_code is 0 (no HTTP response
// came back), else {"status_code","request_id","body"} with body null when body is nullptr
// (an unparsable response body). error is null when error_code and error_message are both
// empty.
std::string batch_output_line(const nlohmann::json& custom_id, std::uint64_t line,
                              std::uint64_t nonce, std::uint64_t seq, int status_code,
                              std::string_view request_id, const nlohmann::json* body,
                              std::string_view error_code, std::string_view error_message);

// Turns one of parallm's own output lines (an item of a Batch file run, whose output is the
// answer's envelope {"status_code","request_id","body"}) into a Batch API output line: its
// "id" becomes the custom_id. An item without an answer (it failed before or after all
// retries) gets response null and error {"code": "request_failed", "message": its error}.
std::string batch_output_from_result(std::string_view result_line, std::uint64_t nonce,
                                     std::uint64_t seq);

}  // namespace parallm::batch
