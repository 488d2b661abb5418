#pragma once
// SIGINT/SIGTERM as events instead of a polled global: the first one calls on_first (stop
// admitting, drain, exit), a second one calls on_abort (save what is finished) and aborts
// the process at once. SIGHUP calls on_hangup (a coordinator re-reads its allow-lists); where
// nothing is set for it, it stops the process like SIGTERM.

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace parallm::cli {

class signal_watch {
 public:
  // What the first signal prints on stderr: a run drains, other commands may not.
  static constexpr const char* drain_note =
      "\nparallm: stopping: no new calls; waiting for those in flight (again to abort)\n";

  // Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (and so in every thread started after
  // this: construct it before the actor system), then watches for them on a thread of its
  // own.
  explicit signal_watch(std::string first_note = drain_note);
  ~signal_watch();
  signal_watch(const signal_watch&) = delete;
  signal_watch& operator=(const signal_watch&) = delete;

  // What the first signal does; called at once if it already came.
  void on_first(std::function<void()> handler);
  // What the second signal does before the process exits; runs on the watcher's thread.
  void on_abort(std::function<void()> handler);
  // What SIGHUP does, every time; runs on the watcher's thread.
  void on_hangup(std::function<void()> handler);

  bool interrupted() const { return count_.load() > 0; }

 private:
  void watch();

  std::string first_note_;
  std::mutex mutex_;
  std::function<void()> on_first_;
  std::function<void()> on_abort_;
  std::function<void()> on_hangup_;
  std::atomic<int> count_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace parallm::cli
