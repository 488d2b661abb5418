#include "actors/limiter_registry.hpp"

namespace parallm::actors {

std::shared_ptr<providers::shared_rate_limiter> limiter_registry::acquire(
    const std::string& identity, const providers::rate_limiter::options& opts) {
  const std::lock_guard lock(mutex_);
  prune();
  auto& entry = entries_[identity];
  if (auto alive = entry.lock()) return alive;
  auto made = std::make_shared<providers::shared_rate_limiter>(opts);
  entry = made;
  return made;
}

std::size_t limiter_registry::size() {
  const std::lock_guard lock(mutex_);
  prune();
  return entries_.size();
}

void limiter_registry::prune() {
  std::erase_if(entries_, [](const auto& entry) { return entry.second.expired(); });
}

}  // namespace parallm::actors
