#pragma once
// What an item run knows about one node. Private to item_run's implementation files.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "flow/failure_policy.hpp"
#include "flow/item_run.hpp"

namespace parallm::flow {

struct item_run::node_state {
  // One sample or chunk of a list node that makes calls.
  struct element {
    bool received = false;
    bool ok = false;
    std::string text;  // moved into the node's output once the node settles
    std::string error;
  };

  item_status status = item_status::ok;
  bool settled = false;
  std::uint32_t waiting_on = 0;           // dependencies not settled yet
  std::uint32_t calls = 0;                // calls issued
  std::uint32_t received = 0;             // calls completed
  std::uint32_t per_call = 1;             // elements each call stands for (samples with "n")
  item_status verdict = item_status::ok;  // a reduce_call node's policy verdict before its call
  int attempts = 0;
  double latency_ms = 0;
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
  // Why the model stopped: a single call's finish_reason; of several calls, that of the first
  // (by element) which did not stop normally, so a truncated sample shows.
  std::string finish_reason;
  std::uint32_t finish_element = 0;  // the element finish_reason came from
  nlohmann::json output;
  std::string error;  // why the node failed, or which branches a partial node lost
  std::vector<element> elements;
  std::vector<std::pair<std::string, int>> votes;
};

inline item_status to_item_status(verdict v) {
  switch (v) {
    case verdict::ok:
      return item_status::ok;
    case verdict::partial:
      return item_status::partial;
    case verdict::failed:
      break;
  }
  return item_status::failed;
}

}  // namespace parallm::flow
