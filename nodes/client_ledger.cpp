#include "nodes/client_ledger.hpp"

namespace parallm::nodes {

bool client_ledger::submit_arrived(const std::string& client, std::uint64_t batch) {
  std::lock_guard lock(mutex_);
  auto& c = clients_[client];
  const bool running = c.batches.count(batch) != 0;
  // A re-submit of a running batch replaces it, but each waits in the node's mailbox with
  // its whole job text, so waiting submits are capped too.
  if ((!running && c.batches.size() >= max_batches_) || c.submits_waiting >= max_batches_) {
    tidy(clients_.find(client));
    return false;
  }
  if (!running) c.batches.emplace(batch, batch_count{});
  ++c.submits_waiting;
  return true;
}

void client_ledger::submit_taken(const std::string& client) {
  std::lock_guard lock(mutex_);
  const auto it = clients_.find(client);
  if (it == clients_.end()) return;
  if (it->second.submits_waiting > 0) --it->second.submits_waiting;
  tidy(it);
}

void client_ledger::opened(const std::string& client, std::uint64_t batch) {
  std::lock_guard lock(mutex_);
  clients_[client].batches[batch] = batch_count{};
}

void client_ledger::closed(const std::string& client, std::uint64_t batch) {
  std::lock_guard lock(mutex_);
  const auto it = clients_.find(client);
  if (it == clients_.end()) return;
  it->second.batches.erase(batch);
  tidy(it);
}

void client_ledger::granted(const std::string& client, std::uint64_t batch, std::uint64_t n) {
  std::lock_guard lock(mutex_);
  const auto it = clients_.find(client);
  if (it == clients_.end()) return;
  if (const auto b = it->second.batches.find(batch); b != it->second.batches.end()) {
    b->second.granted += n;
  }
}

items_verdict client_ledger::items_arrived(const std::string& client, std::uint64_t batch,
                                           std::uint64_t n) {
  std::lock_guard lock(mutex_);
  const auto it = clients_.find(client);
  if (it == clients_.end()) return items_verdict::no_such_batch;
  const auto b = it->second.batches.find(batch);
  if (b == it->second.batches.end()) return items_verdict::no_such_batch;
  auto& count = b->second;
  if (count.refused) return items_verdict::refused;
  // Past the credit within the slack is taken here and dropped by the batch's input, as
  // before: a client's credit from a session the coordinator replaced may still be in flight.
  if (count.received + n > count.granted + slack_) {
    count.refused = true;
    return items_verdict::over_credit;
  }
  count.received += n;
  return items_verdict::take;
}

bool client_ledger::status_asked(const std::string& client) {
  std::lock_guard lock(mutex_);
  auto& c = clients_[client];
  if (c.status_waiting) return false;
  c.status_waiting = true;
  return true;
}

void client_ledger::status_answered(const std::string& client) {
  std::lock_guard lock(mutex_);
  const auto it = clients_.find(client);
  if (it == clients_.end()) return;
  it->second.status_waiting = false;
  tidy(it);
}

std::size_t client_ledger::batches(const std::string& client) const {
  std::lock_guard lock(mutex_);
  const auto it = clients_.find(client);
  return it == clients_.end() ? 0 : it->second.batches.size();
}

void client_ledger::tidy(std::map<std::string, client_count>::iterator it) {
  if (it != clients_.end() && it->second.batches.empty() && it->second.submits_waiting == 0 &&
      !it->second.status_waiting) {
    clients_.erase(it);
  }
}

}  // namespace parallm::nodes
