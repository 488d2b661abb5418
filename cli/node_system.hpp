#pragma once
// The actor system settings of the long-running node processes (coordinator, worker, client).

#include <cstddef>

#include <caf/actor_system_config.hpp>

namespace parallm::cli {

// A shared-queue scheduler whose idle threads block instead of spinning: a host runs many
// workers, and an idle one must cost ~0% CPU. One core is left to the gateway's I/O thread
// (and a worker's HTTP engine). Returns the number of scheduler threads.
std::size_t configure_node_scheduler(caf::actor_system_config& cfg);

}  // namespace parallm::cli
