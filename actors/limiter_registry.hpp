#pragma once
// The rate limiters of the endpoints the running batches call, one per endpoint identity
// (providers::endpoint_identity): a batch that calls an endpoint another batch calls gets that
// batch's limiter, so the job's rpm/tpm hold for the whole cluster rather than per batch.
// An entry lives as long as some batch holds its limiter. Thread-safe: batches start on
// whichever thread runs their coordinator.

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "providers/shared_rate_limiter.hpp"

namespace parallm::actors {

class limiter_registry {
 public:
  // The limiter of the endpoint `identity`: the one the batches still using it share, or a
  // new one with `opts` when none does. The first batch's options stay for as long as the
  // limiter lives: a limit cannot be both one rpm and another.
  std::shared_ptr<providers::shared_rate_limiter> acquire(
      const std::string& identity, const providers::rate_limiter::options& opts);

  // Endpoints some batch still uses.
  std::size_t size();

 private:
  void prune();  // with mutex_ held

  std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<providers::shared_rate_limiter>> entries_;
};

}  // namespace parallm::actors
