#include "nodes/batch_input.hpp"

#include <deque>
#include <optional>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "batch/input_line.hpp"
#include "nodes/wire_codec.hpp"

namespace parallm::nodes {
namespace {

struct input_state {
  batch_input_options options;
  std::deque<actors::admitted_item> held;
  std::uint64_t granted = 0;   // credit given to the client so far
  std::uint64_t received = 0;  // items the client sent
  std::uint64_t refused = 0;   // items over the credit, dropped
  std::uint64_t skipped = 0;   // lines the client's --resume skipped, not yet passed on
  bool ended = false;
  std::optional<std::pair<caf::typed_response_promise<actors::item_batch>, std::uint64_t>> waiting;
  static inline const char* name = "parallm.batch_input";
};

using self_pointer = batch_input_actor::stateful_pointer<input_state>;

void grant(input_state& st, std::uint32_t n) {
  if (n == 0 || st.ended) return;
  st.granted += n;
  if (st.options.granted) st.options.granted(n);
  st.options.post(clients_socket, st.options.client, encode(credit{st.options.client_batch, n}));
}

actors::admitted_item admit(input_line&& in) {
  actors::admitted_item item;
  item.seq = in.seq;
  item.line = in.line;
  auto parsed = batch::parse_input_line(in.text, in.line);
  if (parsed) {
    item.id = std::move(parsed->id);
    item.fields = std::move(parsed->fields);
    item.error = std::move(parsed->error);
  } else {
    item.error = "line " + std::to_string(in.line) + ": empty line";
  }
  if (!in.error.empty()) item.error = std::move(in.error);
  return item;
}

// Up to n held items for the coordinator actor; the room they leave goes back to the client.
actors::item_batch take(input_state& st, std::uint64_t n) {
  actors::item_batch out;
  while (!st.held.empty() && out.items.size() < n) {
    out.items.push_back(std::move(st.held.front()));
    st.held.pop_front();
  }
  out.skipped = st.skipped;
  st.skipped = 0;
  out.end_of_input = st.ended && st.held.empty();
  grant(st, static_cast<std::uint32_t>(out.items.size()));
  return out;
}

void answer_waiting(input_state& st) {
  if (!st.waiting || (st.held.empty() && !st.ended && st.skipped == 0)) return;
  auto [promise, n] = std::move(*st.waiting);
  st.waiting.reset();
  promise.deliver(take(st, n));
}

batch_input_actor::behavior_type input_behavior(self_pointer self, batch_input_options options) {
  self->state.options = std::move(options);
  grant(self->state, self->state.options.room);
  return {
      [=](actors::want_atom, std::uint64_t n) -> caf::result<actors::item_batch> {
        auto& st = self->state;
        if (!st.held.empty() || st.ended || st.skipped != 0) return take(st, n);
        auto promise = self->make_response_promise<actors::item_batch>();
        st.waiting.emplace(promise, n);
        return promise;
      },
      [=](actors::items_atom, item_frame& frame) {
        auto& st = self->state;
        if (st.ended) return;
        st.skipped += frame.skipped;
        for (auto& line : frame.items) {
          // A client sends only against credit; what goes over it is not taken.
          if (st.received >= st.granted) {
            ++st.refused;
            continue;
          }
          ++st.received;
          st.held.push_back(admit(std::move(line)));
        }
        if (frame.end_of_input) st.ended = true;
        if (st.options.received) *st.options.received = st.received;
        if (st.options.ended && st.ended) *st.options.ended = true;
        answer_waiting(st);
      },
  };
}

}  // namespace

batch_input_actor spawn_batch_input(caf::actor_system& system, batch_input_options options) {
  // Parsing each line's JSON is the heaviest part of admitting it: on a thread of its own it
  // runs beside the dispatch instead of taking turns with it (bench/results/cluster-throughput).
  return system.spawn<caf::detached>(input_behavior, std::move(options));
}

}  // namespace parallm::nodes
