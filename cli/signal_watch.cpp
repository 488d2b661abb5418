#include "cli/signal_watch.hpp"

#include <csignal>
#include <cstdio>
#include <ctime>
#include <utility>

#include <unistd.h>

#include "cli/exit_codes.hpp"

namespace parallm::cli {
namespace {

// SIGUSR2 only wakes the watcher when it is destroyed, so that shutdown does not wait for
// a poll interval.
constexpr int wake_signal = SIGUSR2;

sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, wake_signal);
  return set;
}

}  // namespace

signal_watch::signal_watch(std::string first_note) : first_note_(std::move(first_note)) {
  const auto set = watched_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this] { watch(); });
}

signal_watch::~signal_watch() {
  stop_ = true;
  pthread_kill(thread_.native_handle(), wake_signal);
  thread_.join();
}

void signal_watch::on_first(std::function<void()> handler) {
  std::lock_guard lock(mutex_);
  on_first_ = std::move(handler);
  if (interrupted()) on_first_();
}

void signal_watch::on_abort(std::function<void()> handler) {
  std::lock_guard lock(mutex_);
  on_abort_ = std::move(handler);
}

void signal_watch::on_hangup(std::function<void()> handler) {
  std::lock_guard lock(mutex_);
  on_hangup_ = std::move(handler);
}

void signal_watch::watch() {
  const auto set = watched_signals();
  const timespec poll_interval{0, 100'000'000};
  while (!stop_) {
    const int sig = sigtimedwait(&set, nullptr, &poll_interval);
    if (sig < 0 || sig == wake_signal) continue;
    if (sig == SIGHUP) {
      std::lock_guard lock(mutex_);
      if (on_hangup_) {
        on_hangup_();
        continue;
      }
    }
    if (count_.fetch_add(1) == 0) {
      [[maybe_unused]] auto n = write(STDERR_FILENO, first_note_.data(), first_note_.size());
      std::lock_guard lock(mutex_);
      if (on_first_) on_first_();
    } else {
      static const char note[] = "\nparallm: aborted\n";
      [[maybe_unused]] auto n = write(STDERR_FILENO, note, sizeof(note) - 1);
      {
        std::lock_guard lock(mutex_);
        if (on_abort_) on_abort_();
      }
      std::_Exit(exit_interrupted);
    }
  }
}

}  // namespace parallm::cli
