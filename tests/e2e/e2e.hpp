#pragma once
// Shared by the end-to-end suites: where the executable and the examples are, and a
// one-call way to run `parallm run` on files in a temp dir.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
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

// Complete lines ('\n'-ended) in a file that another process may be writing; 0 if absent.
inline std::size_t count_lines(const std::filesystem::path& path) {
  const auto text = read_file(path);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Polls every 20 ms, for at most a generous minute, until the file holds at least n complete
// lines; the count it saw last. Tests wait on output this way, never with a fixed sleep.
inline std::size_t wait_for_lines(const std::filesystem::path& path, std::size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto seen = count_lines(path);
  while (seen < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    seen = count_lines(path);
  }
  return seen;
}

}  // namespace parallm::test
