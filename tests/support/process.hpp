#pragma once
// Starting real processes from tests: the parallm executable, with files for its streams,
// a bounded wait, and signals.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace parallm::test {

struct process_result {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
};

class child_process {
 public:
  // Starts argv[0] with the rest as arguments in dir (its working directory); stdin from
  // stdin_path (or /dev/null), stdout and stderr to files in dir.
  child_process(const std::vector<std::string>& argv, const std::filesystem::path& dir,
                const std::optional<std::filesystem::path>& stdin_path = std::nullopt);
  // The same with stdin the given descriptor (a pipe or socket the test writes to); the
  // caller keeps its own copy and closes it.
  child_process(const std::vector<std::string>& argv, const std::filesystem::path& dir,
                int stdin_fd);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  void signal(int sig);
  pid_t pid() const { return pid_; }
  // What the child wrote to stderr so far.
  std::string err_so_far() const;
  // Waits at most `limit`; kills the child (SIGKILL) when it is exceeded.
  process_result wait(std::chrono::milliseconds limit = std::chrono::seconds(60));

 private:
  void start(const std::vector<std::string>& argv, const std::filesystem::path& dir,
             const std::string& stdin_path, int stdin_fd);

  pid_t pid_ = -1;
  std::filesystem::path out_path_;
  std::filesystem::path err_path_;
};

process_result run_process(const std::vector<std::string>& argv, const std::filesystem::path& dir,
                           const std::optional<std::filesystem::path>& stdin_path = std::nullopt,
                           std::chrono::milliseconds limit = std::chrono::seconds(60));

// A fresh directory under the system temp dir, removed with everything in it.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& text);

}  // namespace parallm::test
