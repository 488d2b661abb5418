#pragma once
// Shared by the end-to-end suites: where the executable and the examples are, and a
// one-call way to run `parallm run` on files in a temp dir.

#include <string>
#include <vector>

#include "support/jsonl.hpp"
#include "support/process.hpp"

namespace parallm::test {

inline const std::string parallm_exe = PARALLM_EXE;
inline const std::filesystem::path source_dir = PARALLM_SOURCE_DIR;

inline std::filesystem::path example(const std::string& name, const std::string& file) {
  return source_dir / "examples" / name / file;
}

inline std::vector<std::string> parallm_args(std::vector<std::string> args) {
  args.insert(args.begin(), parallm_exe);
  return args;
}

// argv of `parallm run DIR/JOB --input DIR/INPUT --output DIR/out.jsonl EXTRA...`.
inline std::vector<std::string> run_args(const temp_dir& dir, const std::string& job,
                                         const std::string& input,
                                         std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"run",      (dir / job).string(),
                                "--input",  (dir / input).string(),
                                "--output", (dir / "out.jsonl").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return parallm_args(args);
}

// n items {"id": "item-I", "n": I}, I = 0..n-1, one per line.
inline void write_named_items(const std::filesystem::path& path, int n) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    text += "{\"id\": \"item-" + std::to_string(i) + "\", \"n\": " + std::to_string(i) + "}\n";
  }
  write_file(path, text);
}

}  // namespace parallm::test
