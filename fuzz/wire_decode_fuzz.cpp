// libFuzzer's entry for the wire_decode target (fuzz_entries.hpp); scripts/fuzz.sh runs it.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_entries.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  parallm::fuzz::wire_decode({reinterpret_cast<const char*>(data), size});
  return 0;
}
