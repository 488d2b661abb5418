#pragma once
// The fuzz targets' pure entry functions: each takes bytes as an attacker or a careless user
// would hand them to parallm and runs them through the code that reads them, checking what must
// hold whatever the bytes. The libFuzzer executables (fuzz/*_fuzz.cpp, built with PARALLM_FUZZ)
// and the corpus replay test (tests/fuzz) call the same functions, so a crash once found stays
// found in every build.

#include <span>
#include <string_view>

namespace parallm::fuzz {

// What an input came to: refused (a frame that does not decode, a job with errors, a header no
// parser took) or accepted. The replay test asserts each corpus holds some of the latter, so a
// reader that starts refusing everything is noticed.
enum class verdict { refused, accepted };

// A frame as a coordinator, a worker or a client receives it, with the default and with tight
// wire_limits; what decodes is converted as the receiver would and must re-encode to itself.
verdict wire_decode(std::string_view data);
// An input line, as parallm's own item format and as an OpenAI Batch request line.
verdict input_line(std::string_view data);
// A job's YAML text; after the first NUL byte, one --set override per NUL-separated part.
verdict job_load(std::string_view data);
// Response headers, one "name: value" per line, through the rate-limit readers.
verdict rate_headers(std::string_view data);
// A Retry-After value, then after the first newline a retry-after-ms value.
verdict retry_after(std::string_view data);

struct target {
  std::string_view name;  // also the folder of its corpus and regressions under fuzz/
  verdict (*run)(std::string_view);
};

std::span<const target> targets();

// Reports a broken invariant and aborts: libFuzzer and the replay test both take it as a crash.
void require(bool holds, std::string_view what);

}  // namespace parallm::fuzz
