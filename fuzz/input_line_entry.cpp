// Input lines as a user's file holds them, read both as parallm items and as OpenAI Batch
// requests (the input's first line decides which; a hostile file can be either), and the
// items' fast path for flat objects held to nlohmann's reading of the same bytes.

#include "batch/flat_json_object.hpp"
#include "batch/input_line.hpp"
#include "batch/openai_batch.hpp"
#include "fuzz/fuzz_entries.hpp"

namespace parallm::fuzz {

verdict input_line(std::string_view data) {
  // The fast path for flat objects must read exactly what nlohmann reads, or step aside.
  if (const auto flat = batch::parse_flat_json_object(data)) {
    const auto full = nlohmann::json::parse(data, nullptr, false);
    require(!full.is_discarded() && *flat == full && flat->dump() == full.dump(),
            "the flat fast path reads what nlohmann reads");
  }
  constexpr std::uint64_t line = 7;
  const auto item = batch::parse_input_line(data, line);
  const auto request = batch::parse_batch_request(data, line);
  batch::looks_like_openai_batch(data);
  require(item.has_value() == request.has_value(), "both readers skip the same blank lines");
  if (!item) return verdict::refused;
  require(item->line == line && request->line == line, "an item keeps its line number");
  // The id is written into output lines as JSON text: it must read back as one JSON value.
  if (!item->id.empty()) {
    require(nlohmann::json::accept(item->id), "an item's id is JSON text");
    require(item->error.empty(), "an item with an id read it without error");
  }
  // The fields are dumped into requests and output lines; replacing bad UTF-8 never throws.
  item->fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  require(!item->error.empty() || item->fields.is_object(), "a good item's fields are an object");
  if (!item->error.empty()) {
    require(item->error.starts_with("line 7: "), "an item's error names its line");
    return verdict::refused;
  }
  return verdict::accepted;
}

}  // namespace parallm::fuzz
