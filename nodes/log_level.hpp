#pragma once
// How much a node process (coordinator, worker) says on stderr: errors always; warnings (peers
// lost, frames dropped) from warn; joins, leaves and batches from info; each frame from debug.

#include <optional>
#include <string_view>

namespace parallm::nodes {

enum class log_level { error, warn, info, debug };

// "error", "warn", "info" or "debug"; nullopt for anything else.
std::optional<log_level> parse_log_level(std::string_view text);

}  // namespace parallm::nodes
