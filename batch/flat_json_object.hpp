#pragma once
// A fast path for the input lines most batches are made of: one flat JSON object whose keys
// and string values are plain ASCII without escapes and whose numbers are integers. nlohmann's
// parser spends several thousand instructions on such a line; this reads it in a few hundred,
// and every line parses twice in a cluster (the client checks it, the coordinator runs it).
//
// It returns exactly what nlohmann::json::parse would, or nullopt whenever the line is
// anything else (nesting, escapes, non-ASCII, fractions, exponents, long integers, duplicate
// keys, a byte-order mark, a syntax error): the caller then parses it with nlohmann, which
// decides and words every error as before.

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace parallm::batch {

std::optional<nlohmann::json> parse_flat_json_object(std::string_view text);

}  // namespace parallm::batch
