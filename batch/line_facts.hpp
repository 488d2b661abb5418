#pragma once
// What a sink may want to know about an item's line without parsing it: how the item ended,
// the tokens its calls used, its calls and their attempts, and how long it took. The reducer
// has these numbers as it settles the item; a sink that forwards lines to a remote client
// passes them on for the client's own summary, the output file ignores them. Carried per line
// so the client's totals hold however many coordinator sessions ran the batch.

#include <cstdint>

namespace parallm::batch {

// As flow::item_status, which the sink's users need not depend on.
enum class line_status { ok, partial, failed };

struct line_facts {
  line_status status = line_status::ok;
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
  std::uint64_t latency_us = 0;  // from admission to settling; 0 for a line never run
  // The item's finished calls, their attempts (retries included) and the attempts answered
  // 429; all 0 for a line failed before any call.
  std::uint64_t calls = 0;
  std::uint64_t attempts = 0;
  std::uint64_t rate_limited = 0;
};

}  // namespace parallm::batch
