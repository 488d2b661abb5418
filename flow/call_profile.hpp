#pragma once
// Call profiles: everything a worker needs to make one kind of call of a batch (the endpoint,
// the request's fields, the timeout), so that a worker never needs the job's graph. A batch's
// profiles are built once from its graph; each task names its profile by index. They mirror
// nodes::call_profile, which carries them to workers in other processes.

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/job.hpp"

namespace parallm::flow {

class graph;

struct call_profile {
  config::provider_spec endpoint;
  std::optional<double> temperature;
  std::optional<int> max_tokens;
  nlohmann::json params = nlohmann::json::object();  // the node's extra request fields
  bool passthrough = false;  // OpenAI Batch lines: the prompt is the body (config::node_spec)
  std::chrono::milliseconds timeout{60000};
};

struct profile_table {
  static constexpr std::uint32_t no_profile = std::numeric_limits<std::uint32_t>::max();
  std::vector<call_profile> profiles;  // one per node that makes calls, in node order
  std::vector<std::uint32_t> of_node;  // node index -> its profile, no_profile for none
};

// One profile per node that makes calls (llm and reduce-with-a-call nodes).
profile_table build_profiles(const graph& g);

}  // namespace parallm::flow
