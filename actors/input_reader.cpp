#include "actors/input_reader.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/actor_faults.hpp"
#include "batch/id_registry.hpp"
#include "batch/input_line.hpp"

namespace parallm::actors {
namespace {

struct reader_state {
  input_reader_options options;
  batch::id_registry seen;
  std::uint64_t next_seq = 0;
  bool ended = false;
  std::string line;
  fault_countdown fault{"reader"};
  static inline const char* name = "parallm.input_reader";
};

admitted_item admit(reader_state& st, batch::input_item&& in) {
  admitted_item item{st.next_seq++,       in.line, std::move(in.id), std::move(in.fields),
                     std::move(in.error), {}};
  if (!item.error.empty()) return item;
  if (!item.id.empty() && !st.seen.insert(item.id, item.line)) {
    item.error = "line " + std::to_string(item.line) + ": " +
                 batch::duplicate_id_error(item.id, st.seen.first_line(item.id));
  } else if (const auto missing = st.options.graph->missing_inputs(item.fields); !missing.empty()) {
    item.error = "line " + std::to_string(item.line) + ": missing template variable '" +
                 std::string(missing.front()) + "'";
  }
  return item;
}

item_batch read_items(reader_state& st, std::uint64_t want) {
  st.fault.tick();
  item_batch out;
  if (st.ended) {
    out.end_of_input = true;
    return out;
  }
  out.items.reserve(want);
  while (out.items.size() < want) {
    // A slow producer (a pipe, a terminal): hand over what arrived instead of waiting for a
    // full batch; block only when there is nothing to hand over.
    if ((!out.items.empty() || out.skipped != 0) && st.options.input->would_block()) break;
    if (!st.options.input->next(st.line)) {
      st.ended = true;
      out.end_of_input = true;
      if (!st.options.input->error().empty()) {
        out.read_error = "cannot read the input on: " + st.options.input->error() +
                         " (reading stopped after line " +
                         std::to_string(st.options.input->line_number()) + ")";
      }
      break;
    }
    auto parsed = batch::parse_input_line(st.line, st.options.input->line_number());
    if (!parsed) continue;
    if (st.options.already_done &&
        batch::already_done(*st.options.already_done, parsed->id, parsed->line)) {
      if (!parsed->id.empty()) st.seen.insert(parsed->id, parsed->line);
      ++out.skipped;
      continue;
    }
    out.items.push_back(admit(st, std::move(*parsed)));
    if (st.options.keep_text) out.items.back().text = st.line;
  }
  return out;
}

reader_actor::behavior_type reader_behavior(reader_actor::stateful_pointer<reader_state> self,
                                            input_reader_options options) {
  self->state.options = std::move(options);
  report_exceptions(self);
  return {
      [=](want_atom, std::uint64_t n) { return read_items(self->state, n); },
  };
}

}  // namespace

reader_actor spawn_input_reader(caf::actor_system& system, input_reader_options options) {
  return system.spawn<caf::detached>(reader_behavior, std::move(options));
}

}  // namespace parallm::actors
