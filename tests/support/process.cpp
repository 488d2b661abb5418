#include "support/process.hpp"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace parallm::test {
namespace {

void redirect(const std::string& path, int target, int flags) {
  const int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) ::_exit(127);
  ::dup2(fd, target);
  ::close(fd);
}

}  // namespace

child_process::child_process(const std::vector<std::string>& argv, const std::filesystem::path& dir,
                             const std::optional<std::filesystem::path>& stdin_path) {
  start(argv, dir, stdin_path ? stdin_path->string() : "/dev/null", -1);
}

child_process::child_process(const std::vector<std::string>& argv, const std::filesystem::path& dir,
                             int stdin_fd) {
  start(argv, dir, "", stdin_fd);
}

void child_process::start(const std::vector<std::string>& argv, const std::filesystem::path& dir,
                          const std::string& in, int stdin_fd) {
  static int counter = 0;
  const auto tag = std::to_string(++counter);
  out_path_ = dir / ("stdout." + tag);
  err_path_ = dir / ("stderr." + tag);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Tests may run with signals blocked; the child must see SIGINT/SIGTERM.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (stdin_fd >= 0) {
      ::dup2(stdin_fd, STDIN_FILENO);
    } else {
      redirect(in, STDIN_FILENO, O_RDONLY);
    }
    redirect(out_path_.string(), STDOUT_FILENO, O_WRONLY | O_CREAT | O_TRUNC);
    redirect(err_path_.string(), STDERR_FILENO, O_WRONLY | O_CREAT | O_TRUNC);
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

child_process::~child_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void child_process::signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

process_result child_process::wait(std::chrono::milliseconds limit) {
  process_result result;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (true) {
    const auto r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_file(out_path_);
  result.err = read_file(err_path_);
  return result;
}

std::string child_process::err_so_far() const {
  return read_file(err_path_);
}

process_result run_process(const std::vector<std::string>& argv, const std::filesystem::path& dir,
                           const std::optional<std::filesystem::path>& stdin_path,
                           std::chrono::milliseconds limit) {
  child_process child(argv, dir, stdin_path);
  return child.wait(limit);
}

temp_dir::temp_dir() {
  // mkdtemp replaces the trailing six X's.
  std::string pattern =
      (std::filesystem::temp_directory_path() / ("parallm-test-" + std::string(6, 'X'))).string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

}  // namespace parallm::test
