#pragma once
// Drives one item_run the way the reducer actor does: start, then answer calls one by one.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/job.hpp"
#include "flow/item_run.hpp"

namespace parallm::flow::testing {

using nlohmann::json;

inline call_result success(std::string text, std::uint64_t prompt_tokens = 0,
                           std::uint64_t completion_tokens = 0) {
  call_result r;
  r.ok = true;
  r.text = std::move(text);
  r.prompt_tokens = prompt_tokens;
  r.completion_tokens = completion_tokens;
  return r;
}

inline call_result failure(std::string error) {
  call_result r;
  r.ok = false;
  r.error = std::move(error);
  return r;
}

// One item over one job: the calls it asked for so far, and a way to answer them.
struct item {
  std::shared_ptr<const graph> g;
  item_run run;
  std::vector<call_request> calls;

  item(const parallm::config::job& job, json fields)
      : g(graph::compile(job)), run(*g, std::move(fields)) {
    run.start(calls);
  }

  // Answers one call and returns the calls that became ready.
  std::vector<call_request> answer(node_index node, std::uint32_t element, call_result result) {
    std::vector<call_request> next;
    run.complete(node, element, std::move(result), next);
    return next;
  }

  // id is the id's JSON text, as the input reader hands it over.
  json line(std::string_view id = "7", std::uint64_t input_line = 8) const {
    return json::parse(run.output_line(id, input_line));
  }
};

}  // namespace parallm::flow::testing
