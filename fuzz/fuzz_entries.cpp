#include "fuzz/fuzz_entries.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>

namespace parallm::fuzz {

std::span<const target> targets() {
  static constexpr std::array<target, 5> all{{
      {"wire_decode", wire_decode},
      {"input_line", input_line},
      {"job_load", job_load},
      {"rate_headers", rate_headers},
      {"retry_after", retry_after},
  }};
  return all;
}

void require(bool holds, std::string_view what) {
  if (holds) return;
  std::fprintf(stderr, "fuzz invariant broken: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

}  // namespace parallm::fuzz
