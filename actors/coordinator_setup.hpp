#pragma once
// A job's limits as the coordinator's options, the same for `run` and for each batch a
// coordinator process runs.

#include <cstdint>

#include "actors/coordinator.hpp"
#include "config/job.hpp"

namespace parallm::actors {

// slots: the calls all workers run at once (for `run`, concurrency times workers), which the
// admission window must keep busy.
coordinator_options coordinator_options_for(const config::limits_spec& limits, std::uint64_t slots);

// A random 64-bit number: a coordinator's epoch, a run's nonce.
std::uint64_t random_u64();

}  // namespace parallm::actors
