#include "nodes/client_node.hpp"

#include <chrono>
#include <cstdio>
#include <deque>
#include <optional>
#include <set>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "batch/progress_display.hpp"
#include "batch/run_stats.hpp"
#include "nodes/frame_split.hpp"
#include "nodes/unacked_lines.hpp"
#include "nodes/wire_codec.hpp"

namespace parallm::nodes {
namespace {

using clock = std::chrono::steady_clock;
constexpr auto progress_interval = std::chrono::milliseconds(100);
// A crash loses at most this much of the written lines, as with `run`.
constexpr auto flush_interval = std::chrono::seconds(1);
// Items read ahead of the credit, so that credit is used the moment it comes.
constexpr std::size_t read_ahead = 1024;

// No welcome this long after the start: say that the client is still trying.
constexpr auto patience = std::chrono::seconds(5);

// waiting: the patience check.
using client_impl =
    client_node_actor::extend<caf::reacts_to<actors::flush_atom>, caf::reacts_to<actors::tick_atom>,
                              caf::reacts_to<actors::delayed_atom>>;

struct client_state {
  client_node_options options;
  std::optional<batch::run_stats> stats;
  std::optional<batch::progress_display> progress;
  unacked_lines unacked;           // sent, no line yet: sent again after a restart
  std::deque<input_line> to_send;  // read (or taken back), not sent
  std::uint64_t credit = 0;
  bool in_session = false;     // submitted to the coordinator that welcomed us last
  std::uint64_t sessions = 0;  // welcomes so far
  bool reading = false;        // a request to the reader is out
  bool input_ended = false;
  bool end_sent = false;   // this session was told the input ended
  bool done_seen = false;  // batch_done of this session
  std::string error;
  std::string stopped;
  std::set<std::string> refusals_told;  // other refusals, each told the user once
  static inline const char* name = "parallm.client";
};

using self_pointer = client_impl::stateful_pointer<client_state>;

flow::item_status status_of(line_status s) {
  switch (s) {
    case line_status::ok:
      return flow::item_status::ok;
    case line_status::partial:
      return flow::item_status::partial;
    case line_status::failed:
      break;
  }
  return flow::item_status::failed;
}

// A message for the user, on the progress line's terms when there is one.
void note(client_state& st, const std::string& text) {
  const auto line = "parallm: " + text + "\n";
  if (st.progress) {
    st.progress->log(line);
  } else {
    std::fputs(line.c_str(), stderr);
  }
}

void finish(self_pointer self) {
  auto& st = self->state;
  if (!st.error.empty() || !st.stopped.empty()) st.options.writer->release_held();
  if (!st.options.writer->flush() && st.error.empty()) st.error = st.options.writer->error();
  const auto now = clock::now();
  if (st.progress) st.progress->finish(*st.stats, now);
  actors::run_report report{*st.stats, st.stats->elapsed(now), st.error};
  report.stopped = st.stopped;
  self->send(st.options.done, actors::run_end_atom::value, std::move(report));
  self->quit();
}

void check_done(self_pointer self) {
  auto& st = self->state;
  if (st.input_ended && st.to_send.empty() && st.unacked.empty() && st.done_seen) finish(self);
}

void send_items(client_state& st, std::vector<input_line> items, bool end) {
  item_frame frame{st.options.job.batch, std::move(items), end, 0};
  auto split = encode_split(std::move(frame), st.options.limits->get());
  for (auto& f : split.frames) st.options.post(0, "", std::move(f));
  // A line too long for the coordinator to take is written here as failed, as `run` would
  // fail an item it cannot run.
  for (auto& line : split.oversized) {
    st.unacked.remove(line.seq);
    const auto text = "{\"id\":null,\"line\":" + std::to_string(line.line) +
                      ",\"status\":\"failed\",\"error\":\"line " + std::to_string(line.line) +
                      ": too long to send to the coordinator (" + std::to_string(line.text.size()) +
                      " bytes)\"}";
    st.options.writer->emit(line.seq, text, {batch::line_status::failed, 0, 0, 0, 0, 0, 0});
    st.stats->record(flow::item_status::failed, 0, 0, std::chrono::microseconds{0});
  }
}

void read_more(self_pointer self);

// Sends what credit allows, the end of the input once everything went, and reads ahead.
void pump(self_pointer self) {
  auto& st = self->state;
  if (st.in_session) {
    std::vector<input_line> out;
    while (st.credit > 0 && !st.to_send.empty()) {
      auto& line = st.to_send.front();
      st.unacked.add(line);
      out.push_back(std::move(line));
      st.to_send.pop_front();
      --st.credit;
    }
    const bool end = st.input_ended && st.to_send.empty() && !st.end_sent;
    if (end) st.end_sent = true;
    if (!out.empty() || end) send_items(st, std::move(out), end);
  }
  read_more(self);
}

void read_more(self_pointer self) {
  auto& st = self->state;
  if (st.reading || st.input_ended || st.to_send.size() >= read_ahead / 2) return;
  st.reading = true;
  self->request(st.options.reader, caf::infinite, actors::want_atom::value,
                std::uint64_t{read_ahead - st.to_send.size()})
      .then(
          [=](actors::item_batch& batch) {
            auto& s = self->state;
            s.reading = false;
            for (std::uint64_t i = 0; i < batch.skipped; ++i) s.stats->skip_resumed();
            for (auto& item : batch.items) {
              s.stats->admit();
              s.to_send.push_back(
                  input_line{item.seq, item.line, std::move(item.text), std::move(item.error)});
            }
            if (!batch.read_error.empty()) s.error = batch.read_error;
            if (batch.end_of_input) s.input_ended = true;
            pump(self);
            check_done(self);
          },
          [=](caf::error& e) {
            auto& s = self->state;
            s.error = "the input reader failed: " + self->system().render(e);
            finish(self);
          });
}

// A new session (a first welcome, a restarted coordinator, or one that lost this client):
// submit the job again and send every item without a line again, in input order. False when
// the job is over the limits the coordinator announced: it would drop the submit unread and
// leave this client waiting, so the job is refused here (exit 2), and the client ends.
bool start_session(self_pointer self) {
  auto& st = self->state;
  auto job = encode(st.options.job);
  const auto limits = st.options.limits->get();
  if (const auto checked = decode(job, limits);
      !checked && checked.error() == decode_error::too_large) {
    *st.options.job_refused = true;
    st.error = "the coordinator at " + st.options.coordinator + " takes no job of " +
               std::to_string(st.options.job.job_text.size()) + " bytes with " +
               std::to_string(st.options.job.overrides.size()) +
               " overrides: its limits are strings of " + std::to_string(limits.max_string_bytes) +
               " bytes and frames of " + std::to_string(limits.max_frame_bytes) +
               " bytes (--max-string-bytes, --max-frame-bytes)";
    finish(self);
    return false;
  }
  if (st.sessions++ > 0) {
    note(st, "the coordinator at " + st.options.coordinator + " is back; sending " +
                 std::to_string(st.unacked.size()) + " items without a line again");
  }
  st.in_session = true;
  st.credit = 0;
  st.end_sent = false;
  st.done_seen = false;
  std::deque<input_line> again;
  for (auto& line : st.unacked.take_all()) again.push_back(std::move(line));
  for (auto& line : st.to_send) again.push_back(std::move(line));
  st.to_send = std::move(again);
  st.options.post(0, "", std::move(job));
  return true;
}

void take_lines(self_pointer self, line_frame& frame) {
  auto& st = self->state;
  for (auto& line : frame.lines) {
    // Exactly once: a line for an item already written (an old session's) is dropped.
    if (!st.unacked.remove(line.seq)) continue;
    const auto status = status_of(line.status);
    st.options.writer->emit(line.seq, std::move(line.text),
                            {line.status, line.prompt_tokens, line.completion_tokens,
                             line.latency_us, line.calls, line.attempts, line.rate_limited});
    st.stats->record(status, line.prompt_tokens, line.completion_tokens,
                     std::chrono::microseconds(line.latency_us));
    // Counted from the lines written, not from batch_done: a restarted coordinator's
    // batch_done knows only its own session's calls.
    st.stats->add_calls(line.calls, line.attempts, line.rate_limited);
  }
  if (st.options.writer->failed()) {
    st.error = "cannot write the output: " + st.options.writer->error();
    return finish(self);
  }
  if (self->mailbox().empty()) st.options.writer->flush();
  check_done(self);
}

void on_message(self_pointer self, message& m) {
  auto& st = self->state;
  if (auto* c = std::get_if<credit>(&m)) {
    if (c->batch == st.options.job.batch && st.in_session) st.credit += c->count;
    return pump(self);
  }
  if (auto* lines = std::get_if<line_frame>(&m)) {
    if (lines->batch == st.options.job.batch) take_lines(self, *lines);
    return;
  }
  if (auto* done = std::get_if<batch_done>(&m)) {
    if (done->batch != st.options.job.batch) return;
    st.done_seen = true;
    if (!done->error.empty() || !done->stopped.empty()) {
      // The batch ended early; what is not written is left for --resume.
      st.error = done->error;
      st.stopped = done->stopped;
      return finish(self);
    }
    return check_done(self);
  }
  if (auto* r = std::get_if<refusal>(&m)) {
    if (r->refused == command::submit) {
      *st.options.job_refused = true;
      st.error = "the coordinator refused the job:\n" + r->reason;
      return finish(self);
    }
    if (r->refused == command::items) {
      // The coordinator no longer runs this batch for us: run it again there.
      start_session(self);
      return;
    }
    // A refused hello (the coordinator has as many clients as it takes) is said again with the
    // hello's backoff: the user learns why once, and the client keeps waiting as for a
    // coordinator that does not answer.
    auto what = std::string(to_string(r->refused)) + ": " + r->reason;
    if (st.refusals_told.size() < 8 && st.refusals_told.insert(what).second) {
      note(st, "the coordinator refused " + what);
    }
  }
}

client_impl::behavior_type client_behavior(self_pointer self, client_node_options options) {
  auto& st = self->state;
  st.options = std::move(options);
  st.stats.emplace(clock::now());
  if (st.options.progress) {
    const bool tty = batch::progress_display::is_terminal(stderr);
    st.progress.emplace(stderr, tty, st.options.progress_total,
                        batch::progress_display::terminal_width(stderr),
                        tty ? progress_interval : std::chrono::seconds(1));
    self->delayed_send(self, progress_interval, actors::tick_atom::value);
  }
  self->delayed_send(self, flush_interval, actors::flush_atom::value);
  self->delayed_send(self, patience, actors::delayed_atom::value);
  read_more(self);
  return {
      [=](joined_atom, std::uint64_t) {
        if (start_session(self)) pump(self);
      },
      [=](left_atom) {
        // Nothing goes out until a coordinator welcomes us again.
        auto& st = self->state;
        if (st.in_session) {
          note(st, "lost the coordinator at " + st.options.coordinator +
                       "; waiting for it (the items without a line will be sent again)");
        }
        st.in_session = false;
        st.credit = 0;
      },
      [=](actors::delayed_atom) {
        auto& st = self->state;
        if (st.sessions == 0) {
          note(st, "no answer yet from a coordinator at " + st.options.coordinator +
                       "; still trying (Ctrl-C to stop)");
        }
      },
      [=](wire_atom, message& m) { on_message(self, m); },
      [=](actors::stop_atom) { finish(self); },
      [=](actors::flush_atom) {
        self->state.options.writer->flush();
        self->delayed_send(self, flush_interval, actors::flush_atom::value);
      },
      [=](actors::tick_atom) {
        self->state.progress->update(*self->state.stats, clock::now());
        self->delayed_send(self, progress_interval, actors::tick_atom::value);
      },
  };
}

}  // namespace

client_node_actor spawn_client_node(caf::actor_system& system, client_node_options options) {
  return system.spawn(client_behavior, std::move(options));
}

void client_events::welcomed(const welcome& w, bool) {
  caf::anon_send(node_, joined_atom::value, w.epoch);
}
void client_events::lost() {
  caf::anon_send(node_, left_atom::value);
}
void client_events::received(message m) {
  caf::anon_send(node_, wire_atom::value, std::move(m));
}

}  // namespace parallm::nodes
