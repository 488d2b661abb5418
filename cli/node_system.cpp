#include "cli/node_system.hpp"

#include <thread>

#include <caf/atom.hpp>

namespace parallm::cli {

void configure_node_scheduler(caf::actor_system_config& cfg) {
  const auto cores = std::thread::hardware_concurrency();
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", static_cast<std::size_t>(cores > 1 ? cores - 1 : 1));
}

}  // namespace parallm::cli
