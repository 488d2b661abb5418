#include "actors/reducer.hpp"

#include <chrono>
#include <cstdio>
#include <optional>
#include <unordered_map>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/actor_faults.hpp"
#include "batch/openai_batch.hpp"
#include "batch/progress_display.hpp"
#include "flow/item_run.hpp"

namespace parallm::actors {
namespace {

using clock = std::chrono::steady_clock;
constexpr auto progress_interval = std::chrono::milliseconds(100);
// A crash (kill -9, power loss) loses at most this much of the finished lines.
constexpr auto flush_interval = std::chrono::seconds(1);

struct open_item {
  std::string id;  // JSON text, empty for none
  std::uint64_t line = 0;
  flow::item_run run;
  clock::time_point admitted;
  // This item's share of the run's record_call totals, for its line's facts.
  std::uint64_t calls = 0;
  std::uint64_t attempts = 0;
  std::uint64_t rate_limited = 0;
};

struct reducer_state {
  reducer_options options;
  dispatcher_actor dispatcher;
  std::optional<batch::run_stats> stats;
  std::optional<batch::progress_display> progress;
  std::unordered_map<std::uint64_t, open_item> items;
  std::vector<flow::call_request> scratch;
  std::uint64_t released = 0;  // lines written since the last note to the coordinator
  std::uint64_t written = 0;
  std::optional<std::uint64_t> expected;  // admitted items, once the input ended
  std::string error;
  fault_countdown fault{"reducer"};
  std::string stopped;
  static inline const char* name = "parallm.reducer";
};

using self_pointer = reducer_actor::stateful_pointer<reducer_state>;

batch::line_status line_status_of(flow::item_status status) {
  switch (status) {
    case flow::item_status::ok:
      return batch::line_status::ok;
    case flow::item_status::partial:
      return batch::line_status::partial;
    case flow::item_status::failed:
      break;
  }
  return batch::line_status::failed;
}

void emit(reducer_state& st, std::uint64_t seq, std::string line, const batch::line_facts& facts) {
  if (st.options.openai_batch_output)
    line = batch::batch_output_from_result(line, st.options.batch_nonce, seq);
  const auto n = st.options.sink->emit(seq, std::move(line), facts);
  st.released += n;
  st.written += n;
}

void settle(reducer_state& st, std::uint64_t seq, open_item& item) {
  const auto latency =
      std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - item.admitted);
  // The sink gets the very numbers the run's summary counts.
  const batch::line_facts facts{line_status_of(item.run.status()),
                                item.run.prompt_tokens(),
                                item.run.completion_tokens(),
                                static_cast<std::uint64_t>(latency.count()),
                                item.calls,
                                item.attempts,
                                item.rate_limited};
  st.stats->record(item.run.status(), facts.prompt_tokens, facts.completion_tokens, latency);
  emit(st, seq, item.run.output_line(item.id, item.line), facts);
}

void queue_calls(reducer_state& st, std::uint64_t seq, call_batch& out) {
  for (auto& call : st.scratch) out.calls.push_back(item_call{seq, std::move(call)});
  st.scratch.clear();
}

// Ends the run with what is written: every admitted item, or fewer after a stop or an error
// (the items still open are left for --resume).
void finish(self_pointer self) {
  auto& st = self->state;
  if (!st.options.sink->flush() && st.error.empty()) st.error = st.options.sink->error();
  const auto now = clock::now();
  const auto elapsed = st.stats->elapsed(now);
  if (st.progress) st.progress->finish(*st.stats, now);
  run_report report{*st.stats, elapsed, st.error};
  report.stopped = st.stopped;
  self->send(st.options.done, run_end_atom::value, std::move(report));
  self->quit();
}

void finish_if_complete(self_pointer self) {
  auto& st = self->state;
  if (st.expected && st.written >= *st.expected) finish(self);
}

// Tells the coordinator about written lines once per message, not once per line.
void report_released(self_pointer self) {
  auto& st = self->state;
  if (st.released == 0) return;
  self->send(st.dispatcher, released_atom::value, st.released);
  st.released = 0;
}

// A write error ends the run at once: every further call would be paid for and lost.
bool output_failed(self_pointer self) {
  auto& st = self->state;
  if (!st.options.sink->failed()) return false;
  if (st.error.empty()) st.error = "cannot write the output: " + st.options.sink->error();
  finish(self);
  return true;
}

void after_message(self_pointer self, call_batch& calls) {
  auto& st = self->state;
  st.fault.tick();
  // Idle: nothing else queued, so the finished lines go out now rather than wait.
  if (self->mailbox().empty()) st.options.sink->flush();
  if (output_failed(self)) return;
  if (!calls.calls.empty()) self->send(st.dispatcher, calls_atom::value, std::move(calls));
  report_released(self);
  finish_if_complete(self);
}

reducer_actor::behavior_type reducer_behavior(self_pointer self, reducer_options options) {
  self->state.options = std::move(options);
  self->state.stats.emplace(clock::now());
  report_exceptions(self);
  self->delayed_send(self, flush_interval, flush_atom::value);
  if (self->state.options.progress) {
    // On a terminal the line redraws in place; into a log file, one line a second.
    const bool tty = batch::progress_display::is_terminal(stderr);
    self->state.progress.emplace(stderr, tty, self->state.options.progress_total,
                                 batch::progress_display::terminal_width(stderr),
                                 tty ? progress_interval : std::chrono::seconds(1));
    self->delayed_send(self, progress_interval, tick_atom::value);
  }
  return {
      [=](attach_atom, dispatcher_actor dispatcher) {
        self->state.dispatcher = std::move(dispatcher);
      },
      [=](admit_atom, item_batch& batch) {
        auto& st = self->state;
        if (!batch.read_error.empty()) st.error = batch.read_error;
        for (std::uint64_t i = 0; i < batch.skipped; ++i) st.stats->skip_resumed();
        call_batch calls;
        const auto now = clock::now();
        for (auto& in : batch.items) {
          st.stats->admit();
          if (!in.error.empty()) {
            st.stats->record(flow::item_status::failed, 0, 0, std::chrono::microseconds{0});
            emit(st, in.seq, flow::failed_output_line(in.id, in.line, in.error),
                 batch::line_facts{batch::line_status::failed, 0, 0, 0, 0, 0, 0});
            continue;
          }
          open_item item{std::move(in.id), in.line,
                         flow::item_run(*st.options.graph, std::move(in.fields)), now};
          item.run.start(st.scratch);
          queue_calls(st, in.seq, calls);
          if (item.run.done()) {
            settle(st, in.seq, item);
          } else {
            st.items.emplace(in.seq, std::move(item));
          }
        }
        after_message(self, calls);
      },
      [=](finished_atom, finished_batch& batch) {
        auto& st = self->state;
        call_batch calls;
        for (auto& f : batch.calls) {
          auto it = st.items.find(f.seq);
          if (it == st.items.end()) continue;
          st.stats->record_call(f.result.attempts, f.result.rate_limited);
          auto& item = it->second;
          ++item.calls;
          item.attempts += static_cast<std::uint64_t>(f.result.attempts);
          item.rate_limited += static_cast<std::uint64_t>(f.result.rate_limited);
          it->second.run.complete(f.node, f.element, std::move(f.result), st.scratch);
          queue_calls(st, f.seq, calls);
          if (it->second.run.done()) {
            settle(st, f.seq, it->second);
            st.items.erase(it);
          }
        }
        after_message(self, calls);
      },
      [=](input_end_atom, std::uint64_t admitted) {
        self->state.expected = admitted;
        finish_if_complete(self);
      },
      [=](held_atom, std::string& note) {
        auto& st = self->state;
        if (!note.empty()) {
          const auto line = "parallm: rate limit: calls " + note + "\n";
          if (st.progress) {
            st.progress->log(line);
          } else {
            std::fputs(line.c_str(), stderr);
          }
        }
        if (st.progress) st.progress->set_hold(std::move(note));
      },
      [=](stop_atom, std::string& cause) {
        // The first calls all failed alike; the coordinator stopped and says drained later.
        self->state.stopped = std::move(cause);
      },
      [=](tick_atom) {
        self->state.progress->update(*self->state.stats, clock::now());
        self->delayed_send(self, progress_interval, tick_atom::value);
      },
      [=](flush_atom) {
        self->state.options.sink->flush();
        if (output_failed(self)) return;
        self->delayed_send(self, flush_interval, flush_atom::value);
      },
      [=](drained_atom) {
        // Stopped (a signal, or calls that all fail alike): complete items held back for
        // order are written too, out of their place (the ones before them never finished;
        // --resume appends those).
        self->state.options.sink->release_held();
        finish(self);
      },
      [=](abort_atom, std::string& reason) {
        if (self->state.error.empty()) self->state.error = std::move(reason);
        finish(self);
      },
  };
}

}  // namespace

reducer_actor spawn_reducer(caf::actor_system& system, reducer_options options) {
  if (options.own_thread) return system.spawn<caf::detached>(reducer_behavior, std::move(options));
  return system.spawn(reducer_behavior, std::move(options));
}

}  // namespace parallm::actors
