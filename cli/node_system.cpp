#include "cli/node_system.hpp"

#include <thread>

#include <caf/atom.hpp>

namespace parallm::cli {

std::size_t configure_node_scheduler(caf::actor_system_config& cfg) {
  const auto cores = std::thread::hardware_concurrency();
  const std::size_t threads = cores > 1 ? cores - 1 : 1;
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", threads);
  return threads;
}

}  // namespace parallm::cli
