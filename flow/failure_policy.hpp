#pragma once
// How many of a node's branches (samples, chunks, `after` nodes) must succeed.

#include <optional>
#include <string>
#include <vector>

namespace parallm::flow {

enum class verdict { ok, partial, failed };

// min_success unset means all must succeed. Every branch succeeded (or there were none) ->
// ok; at least min_success -> partial; else failed.
verdict judge(int total, int succeeded, std::optional<int> min_success);

// "1 of 3 branches succeeded, min_success 2: story: why; poem: why". `errors` are the failed
// branches as "label: why"; the first five are listed, then "…and N more".
std::string describe_failure(int total, int succeeded, std::optional<int> min_success,
                             const std::vector<std::string>& errors);

}  // namespace parallm::flow
