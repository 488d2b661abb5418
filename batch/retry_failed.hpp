#pragma once
// --resume --retry-failed: takes the failed and partial results out of the output file, so
// that the resume that follows runs those items again and each id stays in the file once.

#include <cstdint>
#include <string>
#include <string_view>

namespace parallm::batch {

struct retry_rewrite {
  std::uint64_t dropped = 0;  // result lines taken out
  std::string error;          // empty unless the file could not be read or replaced
};

// Rewrites the output file without its failed and partial results (parallm lines whose
// "status" is not "ok"; Batch output lines whose "error" is not null), into a temp file in
// the same directory that is synced and renamed over it: at any moment the path holds the
// old file or the new one, never half of either. A failed line whose id (under id_key, as
// for resume_scan) also has a kept line stays: it is a duplicate of that item in the input,
// which running again would not change. Lines that are not results, and a torn last line,
// are copied as they are. A missing file is left missing.
retry_rewrite drop_failed_results(const std::string& path, std::string_view id_key = "id");

}  // namespace parallm::batch
