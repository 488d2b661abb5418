#pragma once
// How deeply a JSON text nests, counted without parsing it. nlohmann parses any depth but
// writes values (dump) recursively: an input line of 200000 '[' parsed fine and then overflowed
// the stack of the thread that rendered it into a prompt, in `run` or in a coordinator that a
// client sent it to. The readers of input lines refuse a line nesting deeper than this first.

#include <cstddef>
#include <string_view>

namespace parallm::batch {

// Far deeper than any real item or request, far shallower than a stack can take.
inline constexpr std::size_t max_json_nesting = 128;

// True when arrays and objects open more than limit deep anywhere in text; brackets inside
// strings do not count. The text need not be valid JSON.
inline bool nests_deeper_than(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// The reason a reader gives for such a line, after its "line N: ".
inline constexpr std::string_view too_deep_reason =
    "nested more than 128 levels deep (arrays and objects)";
static_assert(max_json_nesting == 128, "too_deep_reason names the limit");

}  // namespace parallm::batch
