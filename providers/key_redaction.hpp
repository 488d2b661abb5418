#pragma once
// An API key that an upstream sends back (a 401 quoting the Authorization header it got, a
// proxy's error page, a model repeating its request) must not reach what parallm writes: output
// lines, error messages, the summary, --stats. Every occurrence of the key's value in an
// answer's text is replaced before the answer leaves the worker.

#include <cstddef>
#include <string>
#include <string_view>

#include "providers/call_outcome.hpp"

namespace parallm::providers {

inline constexpr std::string_view redacted_key = "[redacted api key]";

// Shorter values are left alone: no provider issues a key this short, and replacing a few
// common characters everywhere would mangle every answer.
inline constexpr std::size_t min_redacted_key_bytes = 8;

// Replaces every occurrence of key in text; true when there was one.
bool redact_key(std::string& text, std::string_view key);

// The same over every text of an answer: completions, error and finish reason.
bool redact_key(call_outcome& outcome, std::string_view key);

}  // namespace parallm::providers
