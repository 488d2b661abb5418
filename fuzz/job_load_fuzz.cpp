// libFuzzer's entry for the job_load target (fuzz_entries.hpp); scripts/fuzz.sh runs it.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_entries.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  parallm::fuzz::job_load({reinterpret_cast<const char*>(data), size});
  return 0;
}
