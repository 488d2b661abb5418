#pragma once
// The exit statuses of CONTRACT.md, plus the conventional one for an interrupted run.

namespace parallm::cli {

inline constexpr int exit_ok = 0;             // every item ok
inline constexpr int exit_internal = 1;       // internal error (I/O failure mid-run, ...)
inline constexpr int exit_bad_input = 2;      // bad usage, job file or input file
inline constexpr int exit_some_failed = 3;    // finished, some items failed or are partial
inline constexpr int exit_interrupted = 130;  // stopped by SIGINT/SIGTERM before the end

}  // namespace parallm::cli
