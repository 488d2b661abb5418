#pragma once
// Input reader: reads the batch file on its own thread (reads may block, e.g. on stdin),
// turns lines into admitted items and hands them out as the coordinator asks for them.
// Duplicate ids, lines that are not JSON objects and items lacking a template variable
// are admitted with an error, so they are written out as failed and nothing is lost.

#include <memory>
#include <string>

#include <caf/actor_system.hpp>

#include "actors/interfaces.hpp"
#include "batch/line_reader.hpp"
#include "batch/resume_scan.hpp"
#include "flow/graph.hpp"

namespace parallm::actors {

struct input_reader_options {
  // The input, opened by the caller before the output is (so that an output naming the
  // input is refused before it is truncated).
  std::shared_ptr<batch::line_reader> input;
  std::shared_ptr<const flow::graph> graph;
  std::shared_ptr<const batch::resume_state> already_done;  // --resume; may be null
  bool keep_text = false;  // admitted_item::text: `submit` sends the lines as they were read
};

reader_actor spawn_input_reader(caf::actor_system& system, input_reader_options options);

}  // namespace parallm::actors
